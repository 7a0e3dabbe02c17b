/** `a - b` for u32 numbers that wrap (RFC 1982 style): negative when a is older than b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
