// Session passwords as ZooKeeperServer.generatePasswd makes them: 16 bytes from
// java.util.Random seeded with (sessionId ^ superSecret). A reconnecting client
// proves it owns a session by sending these bytes back. Reproducing Java's
// generator bit for bit means a session id and password minted by Apache
// ZooKeeper are accepted here and the other way round (useful when an ensemble
// mixes the two, and to test against ZooKeeper's own clients).

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
