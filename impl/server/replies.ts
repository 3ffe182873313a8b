// What goes out on a connection, framed and counted: the ConnectResponse, a
// reply (FinalRequestProcessor's ReplyHeader and record, ServerCnxn.sendResponse)
// and a watch event (NIOServerCnxn.process). The latency and packet counters
// the four-letter words report are kept here, where each packet leaves.

import { KeeperState, OpCode, Perms, Xid, opCodeName } from '../protocol/constants.ts';
import { frame } from '../protocol/frame-decoder.ts';
import { encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { checkACL } from '../tree/acl.ts';
import type { WatchEvent } from '../tree/data-tree.ts';
import type { Connection } from './connection.ts';
import type { Connections } from './connections.ts';
import type { ReadReply } from './reads.ts';
import { pooledBytes } from './pooled-bytes.ts';
import type { ServerCounters } from './stats.ts';
import { requestKind } from './request-kind.ts';

/** Whether a request of this type carries a txn header in ZooKeeper (its latency is updatelatency, else readlatency). */
function isUpdate(type: number): boolean {
  const kind = requestKind(type);
  return kind === 'write' || kind === 'createSession' || kind === 'closeSession';
}

/** The length prefix and ReplyHeader: int length, int xid, long zxid, int err. */
const replyHeaderBytes = 20;

/** The header of every ping reply. */
const pingHeader: R.RequestHeader = { xid: Xid.ping, type: OpCode.ping };

export class Replies {
  constructor(
    private readonly connections: Connections,
    private readonly counters: ServerCounters,
    /** Wall clock: when the last reply left (cons prints it as a time). */
    private readonly now: () => number,
    /** Monotonic clock: latencies, from a request's startedAtMs read on the same clock. */
    private readonly elapsed: () => number,
  ) {}

  /**
   * ZooKeeperServer.finishSessionInit's response: an invalid session gets zeros (the caller then closes the connection).
   * `readOnly`: the trailing byte (whether this server is read-only), or none for a client that sent none.
   */
  connectResponse(connection: Connection, sessionId: bigint, passwd: Uint8Array, timeoutMs: number, valid: boolean, readOnly: boolean | undefined, startedAtMs: number, zxid: bigint): void {
    const response: R.ConnectResponse = {
      protocolVersion: 0,
      timeOut: valid ? timeoutMs : 0,
      sessionId: valid ? sessionId : 0n,
      passwd: valid ? passwd : new Uint8Array(16),
      readOnly,
    };
    this.sendFramed(connection, frame(encodeRecord(response, R.ConnectResponse.write)), startedAtMs, 'SESS', -1, zxid, true);
  }

  /**
   * Sends a reply. `zxid` is the tree's last zxid when the request was processed
   * (FinalRequestProcessor's lastZxid), captured before the reply waits in the FIFO.
   * The record follows only a reply without error, unless `recordWithError`
   * (processSasl sends its null-token SetSASLResponse after AuthFailed too).
   */
  reply(connection: Connection, header: R.RequestHeader, err: number, response: Uint8Array | undefined, startedAtMs: number, zxid: bigint, recordWithError = false): void {
    const record = (err === 0 || recordWithError) && response !== undefined ? response : undefined;
    // The length prefix, then ReplyHeader (xid, zxid, err), then the record.
    const framed = pooledBytes(replyHeaderBytes + (record?.byteLength ?? 0));
    framed.writeInt32BE(framed.byteLength - 4, 0);
    framed.writeInt32BE(header.xid, 4);
    framed.writeBigInt64BE(BigInt.asIntN(64, zxid), 8);
    framed.writeInt32BE(err, 16);
    if (record !== undefined) framed.set(record, replyHeaderBytes);
    this.sendFramed(connection, framed, startedAtMs, opCodeName(header.type), header.xid, zxid, isUpdate(header.type));
  }

  ping(connection: Connection, startedAtMs: number, zxid: bigint): void {
    this.reply(connection, pingHeader, 0, undefined, startedAtMs, zxid);
  }

  /** A read's reply, after the events it fired (setWatches), as FinalRequestProcessor sends them. */
  read(connection: Connection, header: R.RequestHeader, read: ReadReply, startedAtMs: number, zxid: bigint): void {
    if (read.events !== undefined) for (const event of read.events) this.event(event);
    this.reply(connection, header, read.err, read.response, startedAtMs, zxid);
  }

  /** A watch event to the connection that set the watch, if it is still open and may read the znode. */
  event(event: WatchEvent): void {
    const connection = this.connections.get(event.watcher);
    if (connection === undefined || connection.state !== 'open') return;
    // NIOServerCnxn.process: no event about a znode the connection may not READ (CVE-2024-23944).
    if (event.acl !== undefined && !checkACL(event.acl, Perms.READ, connection.authIds)) return;
    // ReplyHeader (ZooKeeper 3.8 sends notifications with zxid -1), then WatcherEvent (type, state, path).
    const pathBytes = Buffer.byteLength(event.path, 'utf8');
    const framed = pooledBytes(replyHeaderBytes + 12 + pathBytes);
    framed.writeInt32BE(framed.byteLength - 4, 0);
    framed.writeInt32BE(Xid.notification, 4);
    framed.writeBigInt64BE(-1n, 8);
    framed.writeInt32BE(0, 16);
    framed.writeInt32BE(event.type, 20);
    framed.writeInt32BE(KeeperState.SyncConnected, 24);
    framed.writeInt32BE(pathBytes, 28);
    framed.write(event.path, 32, 'utf8');
    this.counters.packetsSent++;
    this.counters.metrics.counters.watch_bytes += framed.byteLength - 4;
    connection.packetsSent++;
    connection.sink.send(framed);
  }

  /** Sends an already length-prefixed frame and accounts for it. */
  private sendFramed(connection: Connection, framed: Uint8Array, startedAtMs: number, operation: string, cxid: number, zxid: bigint, update: boolean): void {
    if (connection.state === 'closed') return;
    const latencyMs = this.elapsed() - startedAtMs;
    this.counters.latency.add(latencyMs);
    // ServerStats.updateLatency: a request with a txn header (a write, createSession, closeSession) is an update.
    const { metrics, clientResponse } = this.counters;
    (update ? metrics.summaries.updatelatency : metrics.summaries.readlatency).add(latencyMs);
    // FinalRequestProcessor: the reply's size without its length prefix, into response_bytes and ServerStats' BufferStats.
    const size = framed.byteLength - 4;
    metrics.counters.response_bytes += size;
    clientResponse.last = size;
    if (clientResponse.min === -1 || size < clientResponse.min) clientResponse.min = size;
    if (size > clientResponse.max) clientResponse.max = size;
    connection.latency.add(latencyMs);
    connection.lastLatencyMs = latencyMs;
    connection.lastResponseAtMs = this.now();
    connection.lastOperation = operation;
    connection.lastZxid = zxid;
    if (cxid !== -1) connection.lastCxid = cxid;
    if (connection.outstandingRequests > 0) {
      connection.outstandingRequests--;
      this.counters.outstandingRequests--;
    }
    this.counters.packetsSent++;
    connection.packetsSent++;
    connection.sink.send(framed);
  }
}
