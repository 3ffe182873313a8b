// Payloads for the crash test: sizes vary with the zxid (1..400 bytes) so that
// records straddle write and page boundaries, and the content is a function
// of the zxid so the parent can check every recovered byte.

export function crashPayload(zxid: bigint): Uint8Array {
  const n = Number(zxid % 997n);
  const bytes = new Uint8Array(1 + ((n * 37) % 400));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (n + i * 13) & 0xff;
  return bytes;
}
