import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32, crc32Reference, hasNativeCrc32 } from './crc32.ts';

describe('CRC-32', () => {
  it('matches the check value of the IEEE polynomial ("123456789" -> 0xcbf43926)', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32Reference(bytes)).toBe(0xcbf43926);
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('continues a running checksum across chunks', () => {
    const bytes = new TextEncoder().encode('hello, zookeeper');
    expect(crc32(bytes.subarray(5), crc32(bytes.subarray(0, 5)))).toBe(crc32(bytes));
  });

  it(`agrees with the table-driven reference on random inputs (native: ${hasNativeCrc32})`, () => {
    const seed = 20240601;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, split) => {
        const at = Math.min(split, bytes.length);
        expect(crc32(bytes)).toBe(crc32Reference(bytes));
        expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(crc32Reference(bytes));
      }),
      { seed, numRuns: 2000 },
    );
  });
});
