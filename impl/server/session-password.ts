// Session passwords. A reconnecting client proves it owns a session by sending
// its password back, so no one else may be able to compute it.
//
// ZooKeeperServer.generatePasswd makes 16 bytes from java.util.Random seeded
// with (sessionId ^ superSecret), a constant: anyone who reads a znode's
// ephemeralOwner can rebuild the password, attach to the session and close it
// (Apache ZooKeeper has the same hole). Ours are 16 random bytes from the
// operating system's generator (`newSessionPasswd`), still the ConnectResponse's
// 16-byte passwd, so every client works unchanged. Nothing derives them, so the
// password travels with the session: the createSession txn carries it
// (impl/tree/txn.ts), and with it the proposal to every member, the txn log,
// snapshots (impl/tree/snapshot.ts) and a learner's DIFF or SNAP; the tree
// keeps it beside the session (DataTree.sessionPasswords) until the session
// closes. A client may therefore bring its session back to any member, after
// any restart, as with ZooKeeper; a learner creating a session sends the
// password it chose with the forwarded createSession, and asks the leader when
// its own tree does not know the session yet (REVALIDATE with the password,
// impl/ensemble/session-traffic.ts). No key is configured, shared or rotated.
//
// A session created before passwords were kept (a createSession txn or
// snapshot entry without one) accepts no password: its client is told the
// session expired and opens a new one. ZooKeeper's derivation is kept below
// for the tests that play the attacker and to pin its bytes.

import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { DataTree } from '../tree/data-tree.ts';
import { sessionPasswdBytes } from '../tree/txn.ts';
import type { Logger } from './options.ts';

/** A new session's password: 16 bytes no one can derive from anything public. */
export function newSessionPasswd(): Uint8Array {
  return new Uint8Array(randomBytes(sessionPasswdBytes));
}

/**
 * What a tree says of a password a client brought back: `unknown` when the
 * tree does not know the session (a learner whose tree has not applied its
 * createSession yet; the leader decides then). A session without a kept
 * password, and session id 0, take no password.
 */
export function checkSessionPasswd(tree: DataTree, sessionId: bigint, passwd: Uint8Array): 'match' | 'wrong' | 'unknown' {
  if (sessionId === 0n) return 'wrong';
  const kept = tree.sessionPasswords.get(sessionId);
  if (kept !== undefined) return samePasswd(kept, passwd) ? 'match' : 'wrong';
  return tree.sessions.has(sessionId) ? 'wrong' : 'unknown';
}

/** Whether a password a client brought is `kept`, compared in constant time (no timing tells how many bytes were right). */
export function samePasswd(kept: Uint8Array, passwd: Uint8Array): boolean {
  return passwd.byteLength === kept.byteLength && timingSafeEqual(kept, passwd);
}

/**
 * ZooKeeperServer.reopenSession's check, with its warning for a wrong
 * password ("Incorrect password from <address> for session 0x..."): true only
 * when `tree` holds `passwd` as the session's password.
 */
export function passwdMatches(parts: { readonly tree: DataTree; readonly log: Logger }, sessionId: bigint, passwd: Uint8Array, from: string): boolean {
  const check = checkSessionPasswd(parts.tree, sessionId, passwd);
  if (check === 'wrong') parts.log('warn', 'incorrect-password', { sessionId, from, message: 'Incorrect password' });
  return check === 'match';
}

// ---- ZooKeeper's derivation (not used to make passwords here) ---------------------

const multiplier = 0x5deece66dn;
const addend = 0xbn;
const mask48 = (1n << 48n) - 1n;

/** ZooKeeperServer.superSecret. */
export const superSecret = 0xb3415c00n;

/** java.util.Random(seed).nextBytes(new byte[length]). */
export function javaRandomBytes(seed: bigint, length: number): Uint8Array {
  let state = (BigInt.asUintN(64, seed) ^ multiplier) & mask48;
  const nextInt = (): number => {
    state = (state * multiplier + addend) & mask48;
    return Number(BigInt.asIntN(32, state >> 16n));
  };
  const out = new Uint8Array(length);
  for (let i = 0; i < length; ) {
    let rnd = nextInt();
    for (let n = Math.min(length - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}

/** ZooKeeperServer.generatePasswd: what anyone who knows a session id can compute. */
export function generatePasswd(sessionId: bigint): Uint8Array {
  return javaRandomBytes(sessionId ^ superSecret, 16);
}

/** ZooKeeperServer.checkPasswd. */
export function checkPasswd(sessionId: bigint, passwd: Uint8Array): boolean {
  if (sessionId === 0n) return false;
  const expected = generatePasswd(sessionId);
  return passwd.byteLength === expected.byteLength && expected.every((b, i) => b === passwd[i]);
}

/**
 * SessionTrackerImpl.initializeNextSessionId: the server id in the top byte and
 * the start time in ms below it, so ids from different servers and restarts do
 * not collide.
 */
export function initialSessionId(serverId: number, nowMs: number): bigint {
  let next = BigInt.asUintN(64, BigInt(nowMs) << 24n) >> 8n;
  next = next | (BigInt(serverId) << 56n);
  next = BigInt.asIntN(64, next);
  // EphemeralType.CONTAINER_EPHEMERAL_OWNER is reserved.
  return next === -(1n << 63n) ? next + 1n : next;
}
