/** Size of one MPEG transport stream packet. */
export const TS_PACKET_SIZE = 188;

/** The first byte of every TS packet. */
export const TS_SYNC_BYTE = 0x47;

/** TS packets per UDP datagram, as ffmpeg's and most encoders' udp output sends them. */
export const PACKETS_PER_DATAGRAM = 7;

/** Bytes in a full datagram: 7 x 188 = 1316, under a 1500-byte MTU with IP, UDP and tunnel headers. */
export const DATAGRAM_SIZE = PACKETS_PER_DATAGRAM * TS_PACKET_SIZE;

/**
 * Checks that `ts` is a whole number of TS packets, each starting with the sync byte.
 * @throws RangeError naming the first offending packet
 */
export function assertTs(ts: Uint8Array): void {
  if (ts.length % TS_PACKET_SIZE !== 0) {
    throw new RangeError(`ts is ${ts.length} bytes, not a multiple of the ${TS_PACKET_SIZE}-byte TS packet`);
  }
  for (let off = 0; off < ts.length; off += TS_PACKET_SIZE) {
    if (ts[off] !== TS_SYNC_BYTE) {
      throw new RangeError(`ts packet ${off / TS_PACKET_SIZE} starts with 0x${ts[off]!.toString(16)}, not the sync byte 0x47`);
    }
  }
}

/**
 * Cuts a transport stream into datagrams of `packetsPerDatagram` packets; the last one holds
 * whatever is left. The datagrams are views of `ts`, not copies.
 * @throws RangeError when `ts` is not a sequence of whole TS packets
 */
export function splitDatagrams(ts: Buffer, packetsPerDatagram = PACKETS_PER_DATAGRAM): Buffer[] {
  if (!Number.isInteger(packetsPerDatagram) || packetsPerDatagram < 1) {
    throw new RangeError(`packetsPerDatagram must be an integer >= 1, got ${packetsPerDatagram}`);
  }
  assertTs(ts);
  const size = packetsPerDatagram * TS_PACKET_SIZE;
  const out: Buffer[] = [];
  for (let off = 0; off < ts.length; off += size) out.push(ts.subarray(off, Math.min(off + size, ts.length)));
  return out;
}

/** The 13-bit packet identifier of the TS packet starting at `offset`. */
export function pidAt(ts: Uint8Array, offset: number): number {
  return ((ts[offset + 1]! & 0x1f) << 8) | ts[offset + 2]!;
}

/** TS packets in a buffer of whole packets (a datagram or a file). */
export function packetCount(bytes: Uint8Array): number {
  return Math.floor(bytes.length / TS_PACKET_SIZE);
}
