// Session passwords. A reconnecting client proves it owns a session by sending
// its password back, so no one else may be able to compute it.
//
// ZooKeeperServer.generatePasswd makes 16 bytes from java.util.Random seeded
// with (sessionId ^ superSecret), a constant: anyone who reads a znode's
// ephemeralOwner can rebuild the password, attach to the session and close it
// (Apache ZooKeeper has the same hole). With a server secret (`SessionPasswords`
// given one), the password is instead HMAC-SHA256(secret, sessionId) cut to 16
// bytes: still the ConnectResponse's 16-byte passwd, still a function of the
// session id alone, so nothing per session is stored or replicated, and a
// session recovered from the log or a snapshot keeps its password as long as
// the secret is kept (impl/standalone/session-secret.ts keeps it in dataDir).
// Members of an ensemble must share the secret for a client to move between
// them. Without a secret, ZooKeeper's derivation bit for bit (a session id and
// password minted by Apache ZooKeeper are then accepted here and the other way round).

import { createHmac, timingSafeEqual } from 'node:crypto';

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

export function generatePasswd(sessionId: bigint): Uint8Array {
  return javaRandomBytes(sessionId ^ superSecret, 16);
}

export function checkPasswd(sessionId: bigint, passwd: Uint8Array): boolean {
  if (sessionId === 0n) return false;
  const expected = generatePasswd(sessionId);
  return passwd.byteLength === expected.byteLength && expected.every((b, i) => b === passwd[i]);
}

/** The passwords of one server (or ensemble): derived from its secret, or ZooKeeper's when it has none. */
export class SessionPasswords {
  constructor(private readonly secret: Uint8Array | undefined) {}

  /** Whether a secret is in use (false: ZooKeeper's derivable passwords). */
  get secured(): boolean {
    return this.secret !== undefined;
  }

  generate(sessionId: bigint): Uint8Array {
    if (this.secret === undefined) return generatePasswd(sessionId);
    const id = Buffer.alloc(8);
    id.writeBigInt64BE(BigInt.asIntN(64, sessionId));
    return new Uint8Array(createHmac('sha256', this.secret).update(id).digest().subarray(0, 16));
  }

  check(sessionId: bigint, passwd: Uint8Array): boolean {
    if (sessionId === 0n) return false;
    const expected = this.generate(sessionId);
    return passwd.byteLength === expected.byteLength && timingSafeEqual(expected, passwd);
  }
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
