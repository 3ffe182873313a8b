// A reader for DER (ASN.1's distinguished encoding), just enough for what node:crypto
// does not give us: the subject name of a certificate as it is encoded (for the x509
// ids, x509-name.ts) and the certificates of a PKCS#12 trust store (pkcs12.ts).
// Each element is a tag, a length and its bytes; the reader never reads past its
// buffer and throws DerError on malformed input, which its callers turn into a
// refusal naming the file or the connection.

export class DerError extends Error {}

export type DerElement = {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  /** The content octets. */
  readonly value: Uint8Array;
  /** The whole encoding: identifier, length and content. */
  readonly encoded: Uint8Array;
};

export const Tag = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  universalString: 0x1c,
  bmpString: 0x1e,
  generalString: 0x1b,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The element that starts at `offset` of `bytes`. */
export function readElement(bytes: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > bytes.length) throw new DerError('truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // Indefinite lengths are BER, not DER; 4 bytes of length is far more than a key store holds.
    if (count === 0 || count > 4 || start + count > bytes.length) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new DerError('element runs past its container');
  return { tag, value: bytes.subarray(start, end), encoded: bytes.subarray(offset, end) };
}

/** The elements inside a constructed element (a SEQUENCE, a SET, an explicit tag). */
export function children(element: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let offset = 0; offset < element.value.length; ) {
    const child = readElement(element.value, offset);
    out.push(child);
    offset += child.encoded.length;
  }
  return out;
}

/** The element of the expected tag, or DerError naming what was expected. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined || element.tag !== tag) throw new DerError(`expected ${what}`);
  return element;
}

/** An OBJECT IDENTIFIER's dotted form. */
export function oidText(element: DerElement): string {
  const bytes = element.value;
  if (bytes.length === 0) throw new DerError('empty object identifier');
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** A small non-negative INTEGER (iteration counts, versions). */
export function smallInteger(element: DerElement): number {
  expectTag(element, Tag.integer, 'an INTEGER');
  if (element.value.length > 6) throw new DerError('integer too large');
  let value = 0;
  for (const byte of element.value) value = value * 256 + byte;
  return value;
}
