// The certificates of a PKCS#12 file (RFC 7292), for a trust store: what
// ZooKeeper's PKCS12 trust store loader gives Java's trust manager. node:tls reads
// a PKCS#12 key store itself (`pfx`, `passphrase`), but only one that holds a
// private key; a trust store made by `keytool -importcert -storetype PKCS12` or
// `openssl pkcs12 -export -nokeys` holds certificates alone, so they are read here
// and handed to node:tls as `ca`.
//
// Certificates in a PKCS#12 file are usually encrypted with the store's password:
// PBES2 (PBKDF2 + AES-CBC: what Java 17's keytool and OpenSSL 3 write) and the
// older pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292's key derivation, Appendix B)
// are decrypted here; RC2 (OpenSSL 1.1's and Java 8's default for certificates)
// is refused with the command that re-encrypts the file. The MAC is not checked:
// a wrong password fails the decryption instead, and a file without encrypted
// parts is as trustworthy as the directory it lives in (ZooKeeper's loader, given
// an empty password, does not check it either).

import { createDecipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { children, DerError, expectTag, oidText, readElement, smallInteger, Tag, type DerElement } from './der.ts';

const Oid = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd40BitRC2CBC: '1.2.840.113549.1.12.1.6',
  pbeWithSHAAnd128BitRC2CBC: '1.2.840.113549.1.12.1.5',
} as const;

const prfDigests: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const aesCiphers: Readonly<Record<string, { readonly name: string; readonly keyBytes: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyBytes: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyBytes: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyBytes: 32 },
};

export class Pkcs12Error extends Error {}

/** The DER certificates stored in `pfx` (every certBag, in file order). Throws Pkcs12Error with the reason. */
export function pkcs12Certificates(pfx: Uint8Array, password: string): Uint8Array[] {
  try {
    const [version, authSafe] = children(expectTag(readElement(pfx), Tag.sequence, 'a PFX'));
    if (smallInteger(version!) !== 3) throw new Pkcs12Error('not a PKCS#12 version 3 file');
    const safes = children(expectTag(readElement(contentOf(authSafe!, password)), Tag.sequence, 'an AuthenticatedSafe'));
    const certificates: Uint8Array[] = [];
    for (const safe of safes) collectBags(readElement(contentOf(safe, password)), password, certificates);
    return certificates;
  } catch (error) {
    if (error instanceof DerError) throw new Pkcs12Error(`not a valid PKCS#12 file (${error.message})`);
    throw error;
  }
}

/** A ContentInfo's bytes: `data` as is, `encryptedData` decrypted with `password`. */
function contentOf(contentInfo: DerElement, password: string): Uint8Array {
  const [type, explicit] = children(expectTag(contentInfo, Tag.sequence, 'a ContentInfo'));
  const oid = oidText(expectTag(type, Tag.oid, 'a content type'));
  const inner = children(expectTag(explicit, 0xa0, 'content'))[0];
  if (oid === Oid.data) return octets(inner!);
  if (oid !== Oid.encryptedData) throw new Pkcs12Error(`unsupported content type ${oid} (public-key encrypted parts are not read)`);
  const [, encryptedContentInfo] = children(expectTag(inner, Tag.sequence, 'EncryptedData'));
  const [, algorithm, encrypted] = children(expectTag(encryptedContentInfo, Tag.sequence, 'EncryptedContentInfo'));
  if (encrypted === undefined) return new Uint8Array(0);
  // [0] IMPLICIT OCTET STRING: primitive (0x80) in DER, possibly constructed (0xa0) from BER writers.
  const ciphertext = encrypted.tag === 0x80 ? encrypted.value : Buffer.concat(children(encrypted).map((c) => c.value));
  return decrypt(expectTag(algorithm, Tag.sequence, 'an encryption algorithm'), ciphertext, password);
}

/** An OCTET STRING's content (BER writers may split it into a constructed one). */
function octets(element: DerElement): Uint8Array {
  if (element.tag === Tag.octetString) return element.value;
  if (element.tag === 0x24) return Buffer.concat(children(element).map(octets));
  throw new DerError('expected an OCTET STRING');
}

function collectBags(safeContents: DerElement, password: string, out: Uint8Array[]): void {
  for (const bag of children(expectTag(safeContents, Tag.sequence, 'SafeContents'))) {
    const [id, explicit] = children(expectTag(bag, Tag.sequence, 'a SafeBag'));
    const oid = oidText(expectTag(id, Tag.oid, 'a bag type'));
    const value = children(expectTag(explicit, 0xa0, 'a bag value'))[0]!;
    if (oid === Oid.safeContentsBag) collectBags(value, password, out);
    if (oid !== Oid.certBag) continue; // keys are node:tls's business (pfx), secrets and CRLs are not used
    const [certType, certExplicit] = children(expectTag(value, Tag.sequence, 'a CertBag'));
    if (oidText(expectTag(certType, Tag.oid, 'a certificate type')) !== Oid.x509Certificate) continue;
    out.push(Buffer.from(octets(children(expectTag(certExplicit, 0xa0, 'a certificate'))[0]!)));
  }
}

function decrypt(algorithm: DerElement, ciphertext: Uint8Array, password: string): Uint8Array {
  const [id, params] = children(algorithm);
  const oid = oidText(expectTag(id, Tag.oid, 'an algorithm'));
  try {
    if (oid === Oid.pbes2) return decryptPbes2(params!, ciphertext, password);
    if (oid === Oid.pbeWithSHAAnd3KeyTripleDESCBC) {
      const [salt, iterations] = children(expectTag(params, Tag.sequence, 'PBE parameters'));
      const saltBytes = expectTag(salt, Tag.octetString, 'a salt').value;
      const rounds = smallInteger(iterations!);
      const key = pkcs12Kdf(password, saltBytes, 1, rounds, 24);
      const iv = pkcs12Kdf(password, saltBytes, 2, rounds, 8);
      return decipher('des-ede3-cbc', key, iv, ciphertext);
    }
  } catch (error) {
    if (error instanceof DerError || error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error('cannot decrypt the certificates: wrong password?');
  }
  if (oid === Oid.pbeWithSHAAnd40BitRC2CBC || oid === Oid.pbeWithSHAAnd128BitRC2CBC) {
    throw new Pkcs12Error('its certificates are encrypted with RC2 (an old default), which this server does not read; re-encrypt the file with AES: openssl pkcs12 -in OLD.p12 -nodes | openssl pkcs12 -export -nokeys -certpbe AES-256-CBC -out NEW.p12 (add -legacy to the first command on OpenSSL 3)');
  }
  throw new Pkcs12Error(`its certificates are encrypted with an algorithm this server does not read (${oid}); re-encrypt it with AES-256-CBC`);
}

function decryptPbes2(params: DerElement, ciphertext: Uint8Array, password: string): Uint8Array {
  const [kdf, scheme] = children(expectTag(params, Tag.sequence, 'PBES2 parameters'));
  const [kdfId, kdfParams] = children(expectTag(kdf, Tag.sequence, 'a key derivation function'));
  if (oidText(kdfId!) !== Oid.pbkdf2) throw new Pkcs12Error('PBES2 with a key derivation other than PBKDF2 is not read');
  const [salt, iterations, ...rest] = children(expectTag(kdfParams, Tag.sequence, 'PBKDF2 parameters'));
  const prf = rest.find((e) => e.tag === Tag.sequence);
  const digest = prf === undefined ? 'sha1' : prfDigests[oidText(children(prf)[0]!)];
  if (digest === undefined) throw new Pkcs12Error('PBKDF2 with an unknown PRF');
  const [cipherId, iv] = children(expectTag(scheme, Tag.sequence, 'an encryption scheme'));
  const cipher = aesCiphers[oidText(cipherId!)];
  if (cipher === undefined) throw new Pkcs12Error(`PBES2 with a cipher other than AES-CBC (${oidText(cipherId!)}) is not read`);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), expectTag(salt, Tag.octetString, 'a salt').value, smallInteger(iterations!), cipher.keyBytes, digest);
  return decipher(cipher.name, key, expectTag(iv, Tag.octetString, 'an IV').value, ciphertext);
}

function decipher(name: string, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const d = createDecipheriv(name, key, iv);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}

/**
 * RFC 7292 Appendix B.2 with SHA-1 (u = 20, v = 64): `id` 1 derives a key, 2 an
 * IV. The password is a BMPString with a terminating NUL.
 */
function pkcs12Kdf(password: string, salt: Uint8Array, id: number, iterations: number, bytes: number): Buffer {
  const u = 20;
  const v = 64;
  const pass = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) pass.writeUInt16BE(password.charCodeAt(i), i * 2);
  const fill = (source: Uint8Array) => {
    const length = source.length === 0 ? 0 : v * Math.ceil(source.length / v);
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(pass)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < bytes; produced += u) {
    let A = createHash('sha1').update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash('sha1').update(A).digest();
    out.push(A);
    const B = fill(A.subarray(0, u));
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, bytes);
}
