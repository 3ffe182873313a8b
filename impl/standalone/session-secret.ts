// The secret a standalone server derives its session passwords from
// (impl/server/session-password.ts): 32 random bytes in dataDir/session-secret,
// made at the first start and read at every later one, so that a session
// recovered from the log or a snapshot keeps its password across restarts.
// Only the owner may read it (mode 0600): whoever has it can compute every
// session's password. Written to a temporary file, synced and renamed, so a
// crash leaves either no secret or a whole one.
//
// Apache ZooKeeper has no such file: its passwords follow from the session id
// alone (ZooKeeperServer.generatePasswd), which anyone can repeat.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '../../lib/result.ts';

export const sessionSecretFile = 'session-secret';
const secretBytes = 32;

/** Reads dataDir's session secret, or makes one if there is none yet. */
export function loadSessionSecret(dataDir: string): Result<Uint8Array, string> {
  const path = join(dataDir, sessionSecretFile);
  try {
    const secret = readFileSync(path);
    if (secret.byteLength !== secretBytes) return err(`${path} holds ${secret.byteLength} bytes, not ${secretBytes}: remove it to make a new one (every session's password changes)`);
    return ok(new Uint8Array(secret));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return err(`cannot read ${path}: ${(error as Error).message}`);
  }
  const secret = randomBytes(secretBytes);
  const temporary = `${path}.tmp`;
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, secret);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dir = openSync(dataDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (error) {
    return err(`cannot write ${path}: ${(error as Error).message}`);
  }
  return ok(new Uint8Array(secret));
}
