// SASL between members (quorum.auth.enableSasl): ZooKeeper 3.8's
// SaslQuorumAuthServer and SaslQuorumAuthLearner, the exchange of
// QuorumAuthPackets at the start of a connection, over any SASL mechanism
// (impl/security/quorum-sasl.ts gives DIGEST-MD5; this file knows none).
//
// Where it happens, as in QuorumCnxManager and Learner/LearnerHandler:
// - election port: the connecting member sends its initial message, then
//   authenticates (startConnection → authLearner.authenticate); the accepting
//   member reads the initial message, then authenticates the other
//   (handleConnection → authServer.authenticate). Only then does the
//   smaller-sid rule apply, so even a connection that is about to be dropped
//   and dialled back is authenticated first.
// - quorum port: the learner authenticates right after connecting, before
//   FOLLOWERINFO (Learner.connectToLeader); the leader authenticates each
//   learner before reading anything else (LearnerHandler's constructor).
//
// The packet, zookeeper.jute's QuorumAuthPacket: long magic, int status
// (0 IN_PROGRESS, 1 SUCCESS, -1 ERROR), buffer token. The exchange:
//
//   learner                                   server
//   IN_PROGRESS, initial token (empty) -->
//                                      <--   IN_PROGRESS, challenge
//   IN_PROGRESS, response             -->
//                                      <--   SUCCESS, final token   (or ERROR, empty token)
//
// Who authenticates, and what a failure does (ZooKeeper's rules):
// - A learner authenticates only with quorum.auth.learnerRequireSasl=true;
//   with false it sends nothing and the wire is as without SASL.
// - A server peeks at the first 8 bytes (QuorumAuth.nextPacketIsAuth): the
//   magic number starts an exchange; anything else is a peer that does not
//   authenticate, refused with quorum.auth.serverRequireSasl=true, let through
//   with false. A failed exchange answers ERROR, then closes the connection
//   when SASL is required, or keeps it (logged) when not.
// - A learner that gets ERROR, a malformed packet or a bad final token closes
//   the connection.
// Every read is bounded in size and time (the exchange must end within
// `timeoutMs`), and a peer's bytes never throw: each failure is a reason.

import type net from 'node:net';
import { err, ok, type Result } from '../../lib/result.ts';

/**
 * QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER, Java's `-0xa0dbcafecafe1234L`. Its
 * comment says "this is negative", but the hex literal is already a negative
 * long, so the minus makes it positive: 0x5f2435013501edcc on the wire. No
 * first packet without authentication starts with it (an election frame's
 * length would be 1.6 GB, a QuorumPacket's type 1596208385).
 */
export const quorumAuthMagicNumber = BigInt.asIntN(64, -0xa0dbcafecafe1234n);

/** QuorumAuth.Status. */
export const QuorumAuthStatus = { IN_PROGRESS: 0, SUCCESS: 1, ERROR: -1 } as const;
export type QuorumAuthStatusCode = (typeof QuorumAuthStatus)[keyof typeof QuorumAuthStatus];

/** SaslQuorumAuthServer.MAX_RETRIES: steps of a server's exchange before it gives up. */
export const serverRetriesMax = 5;
/** A token larger than this ends the exchange (DIGEST-MD5's are under 4 KiB; ZooKeeper bounds them by jute.maxbuffer). */
export const quorumAuthTokenBytesMax = 64 * 1024;
/** What a handshake buffers at most: a peer streaming past this is cut off. */
const handshakeBytesMax = 1024 * 1024;

export type QuorumAuthPacket = { readonly magic: bigint; readonly status: number; readonly token: Uint8Array | undefined };

export function encodeQuorumAuthPacket(status: QuorumAuthStatusCode, token: Uint8Array | undefined): Uint8Array {
  const length = token === undefined ? 0 : token.byteLength;
  const out = new Uint8Array(16 + length);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, quorumAuthMagicNumber);
  view.setInt32(8, status);
  view.setInt32(12, token === undefined ? -1 : length);
  if (token !== undefined) out.set(token, 16);
  return out;
}

export type Parse<T> =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'complete'; readonly value: T; readonly bytesConsumed: number };

/** One QuorumAuthPacket at the start of `bytes`; `null` tokens (-1) stay undefined, apart from empty ones. */
export function parseQuorumAuthPacket(bytes: Uint8Array): Parse<QuorumAuthPacket> {
  if (bytes.byteLength < 16) return { kind: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getBigInt64(0);
  if (magic !== quorumAuthMagicNumber) return { kind: 'invalid', reason: `not a quorum auth packet (magic ${magic})` };
  const status = view.getInt32(8);
  const length = view.getInt32(12);
  if (length === -1) return { kind: 'complete', value: { magic, status, token: undefined }, bytesConsumed: 16 };
  if (length < -1 || length > quorumAuthTokenBytesMax) return { kind: 'invalid', reason: `unreasonable token length ${length}` };
  if (bytes.byteLength < 16 + length) return { kind: 'incomplete' };
  return { kind: 'complete', value: { magic, status, token: bytes.slice(16, 16 + length) }, bytesConsumed: 16 + length };
}

/** SaslServer, one exchange: the token to send back, and whether the exchange is complete (then who the peer is). */
export type SaslServerExchange = {
  evaluateResponse(response: Uint8Array): Result<{ readonly token: Uint8Array; readonly complete: boolean; readonly authorizationId?: string }, string>;
};
/** SaslClient, one exchange: the token to send (undefined: none), and whether the exchange is complete. */
export type SaslClientExchange = {
  readonly initialResponse: Uint8Array;
  evaluateChallenge(challenge: Uint8Array): Result<{ readonly token: Uint8Array | undefined; readonly complete: boolean }, string>;
};

export type QuorumAuthOptions = {
  readonly learnerRequireSasl: boolean;
  readonly serverRequireSasl: boolean;
  /** A fresh exchange per connection, as SecurityUtils.createSaslServer/createSaslClient. */
  readonly newServerExchange: () => SaslServerExchange;
  readonly newClientExchange: () => SaslClientExchange;
  /** The bound on one whole exchange (and on the server's wait for the first 8 bytes). */
  readonly timeoutMs: number;
  /**
   * quorum.cnxn.threads.size: exchanges in progress at once, both sides
   * together (ZooKeeper's connection thread pool, whose SynchronousQueue
   * rejects a connection beyond it, which is then closed).
   */
  readonly exchangesMax: number;
};

/** What a server made of a connecting peer. */
export type ServerOutcome =
  | { readonly kind: 'authenticated'; readonly authorizationId: string | undefined }
  /** Let through without authentication (serverRequireSasl=false): why, for the log. */
  | { readonly kind: 'tolerated'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * The two sides of the exchange on a socket. Both take the socket over while
 * they run, and hand it back paused, with any bytes read past the exchange
 * pushed back (unshift): the caller attaches its reader, then resumes.
 */
export class QuorumAuthenticator {
  private exchanges = 0;

  constructor(readonly options: QuorumAuthOptions) {}

  /** Exchanges in progress now. */
  get inProgress(): number {
    return this.exchanges;
  }

  /** SaslQuorumAuthLearner.authenticate. Nothing is sent unless learnerRequireSasl; ok once the server said SUCCESS and its final token checked out. */
  async learner(socket: net.Socket): Promise<Result<'authenticated' | 'skipped', string>> {
    if (!this.options.learnerRequireSasl) return ok('skipped');
    if (this.exchanges >= this.options.exchangesMax) return err(`${this.exchanges} authentications in progress already (quorum.cnxn.threads.size)`);
    this.exchanges++;
    const reader = new HandshakeReader(socket, new Uint8Array(0), this.options.timeoutMs);
    try {
      const client = this.options.newClientExchange();
      socket.write(encodeQuorumAuthPacket(QuorumAuthStatus.IN_PROGRESS, client.initialResponse));
      for (let step = 0; ; step++) {
        const packet = await reader.read(parseQuorumAuthPacket);
        if (!packet.ok) return err(packet.error);
        const { status, token } = packet.value;
        if (status === QuorumAuthStatus.ERROR) return err('Authentication failed: the server answered ERROR');
        if (status !== QuorumAuthStatus.SUCCESS && status !== QuorumAuthStatus.IN_PROGRESS) return err(`Authentication failed: unknown status ${status}`);
        if (token === undefined) return err("Error in authenticating with a Zookeeper Quorum member: the quorum member's saslToken is null.");
        const evaluated = client.evaluateChallenge(token);
        if (!evaluated.ok) return err(evaluated.error);
        if (status === QuorumAuthStatus.SUCCESS) {
          if (evaluated.value.token !== undefined) return err('Protocol error: attempting to send response after completion');
          return evaluated.value.complete ? ok('authenticated') : err('Authentication failed: the server said SUCCESS before the exchange completed');
        }
        if (step >= serverRetriesMax) return err(`Authentication failed: no outcome after ${step + 1} steps`);
        socket.write(encodeQuorumAuthPacket(QuorumAuthStatus.IN_PROGRESS, evaluated.value.token ?? new Uint8Array(0)));
      }
    } finally {
      this.exchanges--;
      reader.release();
    }
  }

  /** SaslQuorumAuthServer.authenticate, on a socket whose first `buffered` bytes were already read. */
  async server(socket: net.Socket, buffered: Uint8Array): Promise<ServerOutcome> {
    const required = this.options.serverRequireSasl;
    if (this.exchanges >= this.options.exchangesMax) return { kind: 'refused', reason: `${this.exchanges} authentications in progress already (quorum.cnxn.threads.size)` };
    this.exchanges++;
    const reader = new HandshakeReader(socket, buffered, this.options.timeoutMs);
    const refuseOrTolerate = (reason: string): ServerOutcome => (required ? { kind: 'refused', reason } : { kind: 'tolerated', reason });
    try {
      const first = await reader.read(peekLong);
      if (!first.ok || first.value !== quorumAuthMagicNumber) {
        // The learner sends no auth packet: refused when required, let through as it is when not.
        return refuseOrTolerate(first.ok ? 'Learner not trying to authenticate and authentication is required' : `Learner not trying to authenticate: ${first.error}`);
      }
      const outcome = await this.exchange(socket, reader);
      if (outcome.ok) return { kind: 'authenticated', authorizationId: outcome.value };
      // The learner learns of the failure; a tolerant server keeps the connection (the learner, which did try, will not).
      if (!socket.destroyed) socket.write(encodeQuorumAuthPacket(QuorumAuthStatus.ERROR, new Uint8Array(0)));
      return refuseOrTolerate(outcome.error);
    } finally {
      this.exchanges--;
      reader.release();
    }
  }

  private async exchange(socket: net.Socket, reader: HandshakeReader): Promise<Result<string | undefined, string>> {
    const server = this.options.newServerExchange();
    for (let tries = 0; ; tries++) {
      const packet = await reader.read(parseQuorumAuthPacket);
      if (!packet.ok) return packet;
      const token = packet.value.token;
      if (token === undefined) return err('the learner sent a null token');
      const evaluated = server.evaluateResponse(token);
      if (!evaluated.ok) return evaluated;
      if (evaluated.value.complete) {
        socket.write(encodeQuorumAuthPacket(QuorumAuthStatus.SUCCESS, evaluated.value.token));
        return ok(evaluated.value.authorizationId);
      }
      if (tries >= serverRetriesMax) return err(`Failed to authenticate using SASL: retries=${tries + 1} exceeded`);
      socket.write(encodeQuorumAuthPacket(QuorumAuthStatus.IN_PROGRESS, evaluated.value.token));
    }
  }
}

/** QuorumAuth.nextPacketIsAuth: the first long, not consumed. */
function peekLong(bytes: Uint8Array): Parse<bigint> {
  if (bytes.byteLength < 8) return { kind: 'incomplete' };
  return { kind: 'complete', value: new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0), bytesConsumed: 0 };
}

/**
 * Reads parsed items off a socket until released, within one deadline. The
 * socket is resumed while it reads and paused on release, with the unread
 * bytes pushed back into it.
 */
class HandshakeReader {
  private bytes: Uint8Array;
  private ended: string | undefined;
  private wake: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer) => {
    if (this.ended !== undefined) return;
    this.bytes = concat(this.bytes, chunk);
    if (this.bytes.byteLength > handshakeBytesMax) {
      this.bytes = new Uint8Array(0);
      this.socket.destroy();
      this.finish(`more than ${handshakeBytesMax} bytes during the authentication`);
    }
    this.notify();
  };
  private readonly onEnd = () => this.finish('the connection closed');
  private readonly onError = (error: Error) => this.finish(`socket error: ${error.message}`);

  constructor(
    private readonly socket: net.Socket,
    buffered: Uint8Array,
    timeoutMs: number,
  ) {
    this.bytes = buffered.slice();
    this.timer = setTimeout(() => this.finish(`no outcome within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    socket.resume();
  }

  /** The next item, consumed; an error when the stream breaks its framing, ends or times out first. */
  async read<T>(parse: (bytes: Uint8Array) => Parse<T>): Promise<Result<T, string>> {
    for (;;) {
      const parsed = parse(this.bytes);
      if (parsed.kind === 'complete') {
        this.bytes = this.bytes.subarray(parsed.bytesConsumed);
        return ok(parsed.value);
      }
      if (parsed.kind === 'invalid') return err(parsed.reason);
      if (this.ended !== undefined) return err(this.ended);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  release(): void {
    clearTimeout(this.timer);
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    // After the end there is nothing to hand on (and unshift would fail).
    if (this.bytes.byteLength > 0 && this.ended === undefined && !this.socket.destroyed && !this.socket.readableEnded) this.socket.unshift(Buffer.from(this.bytes));
    this.bytes = new Uint8Array(0);
  }

  private finish(reason: string): void {
    this.ended ??= reason;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b.slice();
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
