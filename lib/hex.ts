// How zxids are printed in logs, reports and errors: 0x-prefixed lowercase
// hexadecimal without padding, as ZooKeeper's logs print them
// (Long.toHexString), so an operator can grep for a zxid in both servers' logs.

export const hex = (zxid: bigint) => `0x${zxid.toString(16)}`;

/** A session id as ZooKeeper logs it: the 64-bit pattern in hexadecimal (ids are signed longs in jute). */
export const sessionIdHex = (sessionId: bigint) => `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
