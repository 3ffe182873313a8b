// ACLs as ZooKeeper checks them (ZooKeeperServer.checkACL, PrepRequestProcessor
// .fixupACL) with the built-in providers: world:anyone, auth (expanded at create
// or setACL time into the caller's authenticated ids), digest
// (user:base64(sha1("user:password"))), ip (address or address/bits), x509 (the
// subject DN of a TLS client certificate, X509AuthenticationProvider: an exact
// match; the id is given by the transport, never by addauth), sasl
// (SASLAuthenticationProvider), whose ids a session gets only when that provider
// is configured (server/authentication.ts) and whose ACLs are valid only then
// (the `providerSchemes` fixupACL is given), and the "super" id granted by the
// superDigest or X509AuthenticationProvider.superUser.
// One difference from ZooKeeper: an x509 ACL is accepted whether or not the x509
// provider is configured (ZooKeeper says InvalidACL without it); without the
// provider no connection has an x509 id, so such a node is only more closed.

import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { Perms } from '../protocol/constants.ts';
import type { ACL, Id } from '../protocol/records.ts';

/** A world:anyone ACL of one entry, frozen: the tree shares it between znodes (canonicalAcl). */
function worldAnyone(perms: number): readonly ACL[] {
  return Object.freeze([Object.freeze({ perms, id: Object.freeze({ scheme: 'world', id: 'anyone' }) })]);
}

/** ZooDefs.Ids.OPEN_ACL_UNSAFE. */
export const openAclUnsafe: readonly ACL[] = worldAnyone(Perms.ALL);
/** ZooDefs.Ids.READ_ACL_UNSAFE. */
export const readAclUnsafe: readonly ACL[] = worldAnyone(Perms.READ);

/**
 * The ACL a znode keeps: OPEN_ACL_UNSAFE or READ_ACL_UNSAFE when `acl` equals
 * one of them (the ACL most clients create with), else `acl` itself. Each
 * create decodes its own array, entry, id and two strings; sharing the
 * constants instead keeps five objects per znode out of the old generation,
 * which the collector then never has to trace (#14: CPU per create, memory
 * per znode). ZooKeeper shares ACL lists too (ReferenceCountedACLCache); a
 * general cache would need its reference counts, these two constants do not.
 */
export function canonicalAcl(acl: readonly ACL[]): readonly ACL[] {
  if (acl.length !== 1) return acl;
  const entry = acl[0]!;
  if (entry.id.scheme !== 'world' || entry.id.id !== 'anyone') return acl;
  if (entry.perms === Perms.ALL) return openAclUnsafe;
  if (entry.perms === Perms.READ) return readAclUnsafe;
  return acl;
}

/** DigestAuthenticationProvider.generateDigest("user:password") -> "user:base64(sha1(user:password))". */
export function generateDigest(idPassword: string): string {
  const user = idPassword.split(':', 1)[0] ?? '';
  const digest = createHash('sha1').update(idPassword, 'utf8').digest('base64');
  return `${user}:${digest}`;
}

/** Java's String.split(regex) drops trailing empty strings; DigestAuthenticationProvider.isValid relies on it. */
function javaSplitCount(value: string, separator: string): number {
  const parts = value.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length;
}

/** The ids an addauth packet grants (AuthenticationProvider.handleAuthentication), or undefined for AUTHFAILED. */
export function authenticate(scheme: string, auth: Uint8Array, remoteAddress: string, superDigest: string | undefined): Id[] | undefined {
  switch (scheme) {
    case 'digest': {
      const digest = generateDigest(Buffer.from(auth).toString('utf8'));
      const ids: Id[] = [];
      if (superDigest !== undefined && digest === superDigest) ids.push({ scheme: 'super', id: '' });
      ids.push({ scheme: 'digest', id: digest });
      return ids;
    }
    case 'ip':
      return [{ scheme: 'ip', id: remoteAddress }];
    default:
      return undefined;
  }
}

/** AuthenticationProvider.getUserName, for whoAmI. */
export function userName(id: Id): string {
  switch (id.scheme) {
    case 'digest':
      return id.id.split(':')[0] ?? '';
    case 'ip':
    case 'x509':
    case 'sasl':
      return id.id;
    default:
      return '';
  }
}

/** AuthenticationProvider.isAuthenticated: the schemes an `auth` ACL expands to. */
function isAuthenticatedScheme(scheme: string): boolean {
  return scheme === 'digest' || scheme === 'x509' || scheme === 'sasl';
}

/** KerberosName's constructor, which SASLAuthenticationProvider.isValid uses: `name[/host]@realm`, or a name without "@". */
function isKerberosName(id: string): boolean {
  return /^[^/@]*(\/[^/@]*)?@[^/@]*$/.test(id) || !id.includes('@');
}

function isValidId(scheme: string, id: string, providerSchemes: readonly string[]): boolean {
  switch (scheme) {
    case 'sasl':
      return providerSchemes.includes('sasl') && isKerberosName(id);
    case 'digest':
      return javaSplitCount(id, ':') === 2;
    case 'ip': {
      const slash = id.indexOf('/');
      const address = slash === -1 ? id : id.slice(0, slash);
      const bytes = addressBytes(address);
      if (bytes === undefined) return false;
      if (slash === -1) return true;
      const bits = parseJavaInt(id.slice(slash + 1));
      return bits !== undefined && bits >= 0 && bits <= bytes.length * 8;
    }
    case 'x509':
      // X509AuthenticationProvider.isValid: any DN.
      return true;
    default:
      return false;
  }
}

function parseJavaInt(text: string): number | undefined {
  return /^[+-]?\d{1,10}$/.test(text) ? Number(text) : undefined;
}

function addressBytes(address: string): number[] | undefined {
  if (isIPv4(address)) return address.split('.').map(Number);
  if (isIPv6(address)) {
    const [head = '', tail] = address.split('::');
    const a = head === '' ? [] : head.split(':');
    const b = tail === undefined || tail === '' ? [] : tail.split(':');
    const words = [...a, ...new Array(8 - a.length - b.length).fill('0'), ...b].map((w: string) => parseInt(w, 16));
    return words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
  }
  return undefined;
}

function maskBytes(bytes: number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** IPAuthenticationProvider.matches. */
export function ipMatches(clientAddress: string, aclExpr: string): boolean {
  const slash = aclExpr.indexOf('/');
  const aclBytes = addressBytes(slash === -1 ? aclExpr : aclExpr.slice(0, slash));
  if (aclBytes === undefined) return false;
  let bits = aclBytes.length * 8;
  if (slash !== -1) {
    const parsed = parseJavaInt(aclExpr.slice(slash + 1));
    if (parsed === undefined || parsed < 0 || parsed > bits) return false;
    bits = parsed;
  }
  const remote = addressBytes(clientAddress.startsWith('::ffff:') ? clientAddress.slice(7) : clientAddress);
  if (remote === undefined || remote.length !== aclBytes.length) return false;
  const a = maskBytes(aclBytes, bits);
  const r = maskBytes(remote, bits);
  return a.every((byte, i) => byte === r[i]);
}

/** ZooKeeperServer.checkACL: true when `authIds` may perform `perm` on a node with `acl`. */
export function checkACL(acl: readonly ACL[], perm: number, authIds: readonly Id[]): boolean {
  if (acl.length === 0) return true;
  if (authIds.some((id) => id.scheme === 'super')) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.id.scheme === 'world' && entry.id.id === 'anyone') return true;
    for (const authId of authIds) {
      if (authId.scheme !== entry.id.scheme) continue;
      if (entry.id.scheme === 'digest' && authId.id === entry.id.id) return true;
      if (entry.id.scheme === 'ip' && ipMatches(authId.id, entry.id.id)) return true;
      if (entry.id.scheme === 'x509' && authId.id === entry.id.id) return true;
      // SASLAuthenticationProvider.matches: the same name, or a session authenticated as the SASL user "super".
      if (entry.id.scheme === 'sasl' && (authId.id === entry.id.id || authId.id === 'super')) return true;
    }
  }
  return false;
}

const aclEquals = (a: ACL, b: ACL) => a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;

/**
 * PrepRequestProcessor.fixupACL: removes duplicates, expands `auth` into the
 * caller's authenticated ids, and rejects empty lists, unknown schemes and
 * malformed ids. Undefined means InvalidACL. `providerSchemes`: the schemes
 * of the providers authProvider.N configured besides digest and ip ("sasl").
 */
export function fixupACL(acl: readonly ACL[], authIds: readonly Id[], providerSchemes: readonly string[] = []): ACL[] | undefined {
  const unique: ACL[] = [];
  for (const entry of acl) if (!unique.some((u) => aclEquals(u, entry))) unique.push(entry);
  if (unique.length === 0) return undefined;
  const fixed: ACL[] = [];
  for (const entry of unique) {
    if (entry.id.scheme === 'world' && entry.id.id === 'anyone') {
      fixed.push(entry);
    } else if (entry.id.scheme === 'auth') {
      let authIdValid = false;
      for (const authId of authIds) {
        if (isAuthenticatedScheme(authId.scheme)) {
          authIdValid = true;
          fixed.push({ perms: entry.perms, id: authId });
        }
      }
      if (!authIdValid) return undefined;
    } else {
      if (!isValidId(entry.id.scheme, entry.id.id, providerSchemes)) return undefined;
      fixed.push(entry);
    }
  }
  return fixed;
}
