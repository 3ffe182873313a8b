// ZooKeeper's key and trust stores read into node:tls's terms (X509Util.createKeyManager
// and createTrustManager, KeyStoreFileType, PEMFileLoader, PKCS12FileLoader):
// - the type is ssl.*.type, else the file's extension: .jks JKS, .pem PEM, .p12
//   PKCS12, .bcfks BCFKS (KeyStoreFileType.fromPropertyValueOrFileName);
// - PEM: a key store holds the private key (PKCS#8, maybe encrypted with the
//   password; PKCS#1 too) and its certificate chain, a trust store certificates;
//   node:tls takes them as `key`/`passphrase`/`cert` and `ca`;
// - PKCS12: a key store goes to node:tls as `pfx`/`passphrase`; a trust store's
//   certificates are read by pkcs12.ts and given as `ca`;
// - JKS: Java 9+ reads a PKCS#12 file through the JKS type (keystore.type.compat),
//   and keytool has written PKCS#12 by default since then, so a .jks file that is
//   PKCS#12 inside is read as such. A real JKS file (magic 0xFEEDFEED) cannot be
//   read here: the error names the key and gives the keytool command that converts
//   it. BCFKS (Bouncy Castle's format) is refused the same way.
// The password is ssl.*.password, or the contents of ssl.*.passwordPath (which wins,
// one trailing newline removed, as X509Util.getPasswordFromConfigPropertyOrFile).

import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { err, ok, type Result } from '../../lib/result.ts';
import type { StoreSetting, StoreType } from '../config/tls-config.ts';
import { Pkcs12Error, pkcs12Certificates } from './pkcs12.ts';

/** Why a store cannot be used, with the zoo.cfg key to fix. */
export type StoreError = { readonly key: string; readonly message: string };

export type KeyMaterial =
  | { readonly kind: 'pem'; readonly key: string; readonly cert: string; readonly passphrase: string | undefined }
  | { readonly kind: 'pfx'; readonly pfx: Buffer; readonly passphrase: string };

const extensions: readonly (readonly [string, StoreType])[] = [['.jks', 'JKS'], ['.pem', 'PEM'], ['.p12', 'PKCS12'], ['.bcfks', 'BCFKS']];

/** KeyStoreFileType.fromPropertyValueOrFileName. */
export function storeType(store: StoreSetting): Result<StoreType, StoreError> {
  if (store.type !== undefined) return ok(store.type);
  const found = extensions.find(([ext]) => store.location.toLowerCase().endsWith(ext));
  if (found !== undefined) return ok(found[1]);
  return err({ key: `${store.key}.type`, message: `unable to auto-detect store file type from file name: ${store.location}; set ${store.key}.type to PEM or PKCS12` });
}

/** The password: passwordPath's file (without one trailing newline) wins over password. */
export function storePassword(store: StoreSetting): Result<string, StoreError> {
  if (store.passwordPath === undefined) return ok(store.password);
  try {
    return ok(readFileSync(store.passwordPath, 'utf8').replace(/\r?\n$/, ''));
  } catch (error) {
    return err({ key: `${store.key}.passwordPath`, message: `cannot read ${store.passwordPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
}

type Opened = { readonly bytes: Buffer; readonly type: 'PEM' | 'PKCS12'; readonly password: string };

/** Reads the file and settles its format (a .jks that is PKCS#12 inside is PKCS#12). */
function open(store: StoreSetting): Result<Opened, StoreError> {
  const type = storeType(store);
  if (!type.ok) return type;
  const password = storePassword(store);
  if (!password.ok) return password;
  let bytes: Buffer;
  try {
    bytes = readFileSync(store.location);
  } catch (error) {
    return err({ key: `${store.key}.location`, message: `cannot read ${store.location}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  const isPkcs12 = bytes[0] === 0x30;
  if (type.value === 'JKS' && isPkcs12) return ok({ bytes, type: 'PKCS12', password: password.value });
  if (type.value === 'JKS' || type.value === 'BCFKS') {
    const target = store.location.replace(/\.(jks|bcfks)$/i, '') + '.p12';
    return err({
      key: `${store.key}.location`,
      message:
        `${store.location} is a ${type.value} store, which this server cannot read (node:tls reads PEM and PKCS12). Convert it: ` +
        `keytool -importkeystore -srckeystore ${store.location} -srcstoretype ${type.value} -destkeystore ${target} -deststoretype PKCS12` +
        ` (same password), then set ${store.key}.location=${target}`,
    });
  }
  return ok({ bytes, type: type.value, password: password.value });
}

const pemBlocks = (text: string, label: RegExp) => [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].filter((m) => label.test(m[1]!)).map((m) => m[0]);

/** The key store: the server's (or a client's) private key and certificate chain. */
export function loadKeyStore(store: StoreSetting): Result<KeyMaterial, StoreError> {
  const opened = open(store);
  if (!opened.ok) return opened;
  const { bytes, type, password } = opened.value;
  if (type === 'PKCS12') return ok({ kind: 'pfx', pfx: bytes, passphrase: password });
  const text = bytes.toString('utf8');
  const keys = pemBlocks(text, /PRIVATE KEY$/);
  const certs = pemBlocks(text, /^CERTIFICATE$/);
  if (keys.length !== 1) return err({ key: `${store.key}.location`, message: `${store.location} must hold one private key (PEM), found ${keys.length}` });
  if (certs.length === 0) return err({ key: `${store.key}.location`, message: `${store.location} holds no certificate (PEM); put the certificate chain after the key` });
  return ok({ kind: 'pem', key: keys[0]!, cert: certs.join('\n'), passphrase: password === '' ? undefined : password });
}

/** The trust store: the certificates a peer's chain must lead to, as PEM for node:tls's `ca`. */
export function loadTrustStore(store: StoreSetting): Result<string[], StoreError> {
  const opened = open(store);
  if (!opened.ok) return opened;
  const { bytes, type, password } = opened.value;
  let certs: string[];
  if (type === 'PKCS12') {
    try {
      certs = pkcs12Certificates(bytes, password).map((der) => new X509Certificate(der).toString());
    } catch (error) {
      const reason = error instanceof Pkcs12Error ? error.message : String(error);
      return err({ key: `${store.key}.location`, message: `cannot read the PKCS12 trust store ${store.location}: ${reason}` });
    }
  } else certs = pemBlocks(bytes.toString('utf8'), /^CERTIFICATE$/);
  if (certs.length === 0) return err({ key: `${store.key}.location`, message: `${store.location} holds no certificate to trust` });
  return ok(certs);
}
