"""Times zfec (Debian python3-zfec) at one shape; prints JSON {encode, decode} seconds per op.

Driven by bench/codec/run.mjs, which runs it in the same session as the other codecs.
Usage: zfec_peer.py K M SHARD_BYTES SECONDS
"""
import json
import os
import sys
import time

import zfec

ROUNDS = 20  # as bench/codec/run.mjs: best of many short rounds


def per_op(fn, seconds):
    """Best-of-rounds seconds per call, like the JS side measures."""
    best = float("inf")
    for _ in range(ROUNDS):
        count, start = 0, time.perf_counter()
        while True:
            fn()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / ROUNDS:
                break
        best = min(best, elapsed / count)
    return best


def main():
    k, m, size, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    n = k + m
    data = [os.urandom(size) for _ in range(k)]
    encoder = zfec.Encoder(k, n)
    shards = encoder.encode(data)
    lost = min(m, k)
    indices = list(range(lost, lost + k))
    present = [shards[i] for i in indices]
    decoder = zfec.Decoder(k, n)
    assert b"".join(decoder.decode(present, indices)) == b"".join(data)
    print(json.dumps({
        "encode": per_op(lambda: encoder.encode(data), seconds),
        "decode": per_op(lambda: decoder.decode(present, indices), seconds),
    }))


main()
