// A certificate's subject as Java prints it with X500Principal.getName() (RFC 2253
// form): the id ZooKeeper's X509AuthenticationProvider gives a client that
// authenticated with that certificate (`x509:<this>`), so that an ACL written for
// ZooKeeper matches here character for character.
//
// Java's rules (sun.security.x509.X500Name.getRFC2253Name, RDN and
// AVA.toRFC2253String): the RDNs in reverse order of their encoding, joined by
// ","; the attributes of one RDN as encoded, joined by "+"; the keywords RFC 2253
// names (CN, C, L, ST, O, OU, STREET, DC, UID), any other attribute by its OID
// with its value as "#" and the DER encoding in lower-case hex; a value that is not
// a string type is printed in hex too; in a string, each of , = + < > # ; " \ is
// escaped with a backslash, NUL as \00, and leading and trailing spaces (and CRs)
// with a backslash.
//
// node:crypto's X509Certificate.subject is not that form (OpenSSL's order and
// escaping, one line per attribute), hence this reader over the certificate's DER.

import { children, expectTag, oidText, readElement, Tag, type DerElement } from './der.ts';

const rfc2253Keywords: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

/** The subject DN of a DER certificate, as X509Certificate.getSubjectX500Principal().getName(). */
export function subjectName(certificateDer: Uint8Array): string {
  const certificate = expectTag(readElement(certificateDer), Tag.sequence, 'a certificate');
  const tbs = expectTag(children(certificate)[0], Tag.sequence, 'the TBSCertificate');
  const fields = children(tbs);
  // version is [0] EXPLICIT and optional; then serialNumber, signature, issuer, validity, subject.
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  return rfc2253Name(expectTag(fields[first + 4], Tag.sequence, 'the subject name'));
}

/** A Name (SEQUENCE OF RelativeDistinguishedName) in Java's RFC 2253 form. */
export function rfc2253Name(name: DerElement): string {
  return children(name)
    .reverse()
    .map((rdn) =>
      children(expectTag(rdn, Tag.set, 'a relative distinguished name'))
        .map((ava) => attribute(expectTag(ava, Tag.sequence, 'an attribute')))
        .join('+'),
    )
    .join(',');
}

function attribute(ava: DerElement): string {
  const [type, value] = children(ava);
  const oid = oidText(expectTag(type, Tag.oid, 'an attribute type'));
  if (value === undefined) return `${oid}=`;
  const keyword = rfc2253Keywords[oid];
  const text = keyword === undefined ? undefined : stringValue(value);
  if (keyword === undefined || text === undefined) return `${keyword ?? oid}=#${Buffer.from(value.encoded).toString('hex')}`;
  return `${keyword}=${escapeValue(text)}`;
}

/** The string of a directory string (AVA's isDerString, non-canonical), or undefined for another type. */
function stringValue(value: DerElement): string | undefined {
  const bytes = Buffer.from(value.value);
  switch (value.tag) {
    case Tag.utf8String:
      return bytes.toString('utf8');
    case Tag.printableString:
    case Tag.ia5String:
    case Tag.t61String:
    case Tag.generalString:
      return bytes.toString('latin1');
    case Tag.bmpString: {
      let out = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
      return out;
    }
    default:
      return undefined;
  }
}

const escapees = ',=+<>#;"\\';

function escapeValue(text: string): string {
  let escaped = '';
  for (const c of text) {
    if (escapees.includes(c)) escaped += `\\${c}`;
    else if (c === '\u0000') escaped += '\\00';
    else escaped += c;
  }
  const chars = [...escaped];
  const isBlank = (c: string | undefined) => c === ' ' || c === '\r';
  let lead = 0;
  while (lead < chars.length && isBlank(chars[lead])) lead++;
  let trail = chars.length - 1;
  while (trail >= 0 && isBlank(chars[trail])) trail--;
  return chars.map((c, i) => (i < lead || i > trail ? `\\${c}` : c)).join('');
}
