"""A seed-000 peer in Python, written from the seed's text, for interoperability tests.

Each message is padded with zero bytes to a multiple of k, split into k fragments, encoded
with zfec into n, and each fragment sent as one datagram behind the header
struct.pack(">IBBBH", batch_id, idx, k, n, orig_len). The receiver decodes a batch as soon as
k of its fragments are in.

  seed_peer.py send HOST PORT K N [DELAY_MS]   stdin lines -> one message each
  seed_peer.py recv HOST PORT COUNT [TIMEOUT_S] messages -> stdout lines; prints its port first
"""
import socket
import struct
import sys
import time

import zfec

HEADER = struct.Struct(">IBBBH")


def send(host, port, k, n, delay_ms=0.0):
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    encoder = zfec.Encoder(k, n)
    for batch_id, line in enumerate(sys.stdin.buffer):
        data = line.rstrip(b"\n")
        size = -(-len(data) // k) if data else 0
        padded = data.ljust(size * k, b"\0")
        blocks = [padded[i * size:(i + 1) * size] for i in range(k)]
        for idx, fragment in enumerate(encoder.encode(blocks)):
            out.sendto(HEADER.pack(batch_id, idx, k, n, len(data)) + fragment, (host, port))
        if delay_ms:
            time.sleep(delay_ms / 1000)


def recv(host, port, count, timeout_s=20.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((host, port))
    sock.settimeout(timeout_s)
    print(sock.getsockname()[1], flush=True)
    pending, done = {}, set()
    delivered = 0
    while delivered < count:
        try:
            packet, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        if len(packet) < HEADER.size:
            continue
        batch_id, idx, k, n, orig_len = HEADER.unpack_from(packet)
        if batch_id in done:
            continue
        fragments = pending.setdefault(batch_id, {})
        fragments[idx] = packet[HEADER.size:]
        if len(fragments) < k:
            continue
        indices = sorted(fragments)[:k]
        decoded = zfec.Decoder(k, n).decode([fragments[i] for i in indices], indices)
        sys.stdout.buffer.write(b"".join(decoded)[:orig_len] + b"\n")
        sys.stdout.flush()
        done.add(batch_id)
        del pending[batch_id]
        delivered += 1


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "send":
        send(host, port, int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]) if len(sys.argv) > 6 else 0.0)
    elif mode == "recv":
        recv(host, port, int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else 20.0)
    else:
        sys.exit("usage: seed_peer.py send HOST PORT K N [DELAY_MS] | recv HOST PORT COUNT [TIMEOUT_S]")


main()
