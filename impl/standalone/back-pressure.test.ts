// A client that pipelines requests and never reads its replies must not grow
// the server (ServerCnxn.disableRecv, impl/server/recv-throttle.ts). The
// server runs as a child process so that its RSS (/proc/PID/status VmRSS) is
// the server's alone.
//
// Before the back-pressure, a ConnectRequest followed by 1,000 getData of a
// 1 MB znode in one write grew the server by 360 MB in 5 s (to over 1 GB in
// longer runs) and the memory stayed after the client left: every request
// was read and answered while the session's creation was not yet durable,
// each reply holding its 1 MB. ZooKeeper 3.8 stops reading a connection
// until its session is set up and grows by 14 MB under the same client.

import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { OpCode } from '../protocol/constants.ts';
import { frame } from '../protocol/frame-decoder.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { RawClient } from '../server/raw-client.ts';
import { rssBytes, startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

const megabyte = 1024 * 1024;
const bigData = 1_000_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A ConnectRequest for a new session, then `count` getData of `path`, framed, as one buffer. */
function connectThenGetData(path: string, count: number): Buffer {
  const frames: Uint8Array[] = [frame(encodeRecord({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }, R.ConnectRequest.write))];
  for (let xid = 1; xid <= count; xid++) {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid, type: OpCode.getData });
    R.GetDataRequest.write(w, { path, watch: false });
    frames.push(frame(w.toBytes()));
  }
  return Buffer.concat(frames);
}

async function getDataLength(client: RawClient, path: string): Promise<number> {
  const reply = await client.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
  expect(reply.header.err).toBe(0);
  const response = decodeRecord(reply.body, R.GetDataResponse.read);
  if (!response.ok) throw new Error(response.error);
  return response.value.data?.byteLength ?? -1;
}

describe('a client that pipelines requests and never reads', () => {
  it('grows the server by less than 64 MB for 1,000 getData of a 1 MB znode sent with its ConnectRequest, serves others meanwhile, and gives the memory back when it leaves', async () => {
    const dir = fixture.dataDir();
    const server = await startChild(dir.configPath);
    const writer = await fixture.session(server.port);
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid: 1, type: OpCode.create });
    R.CreateRequest.write(w, { path: '/big', data: new Uint8Array(bigData).fill(0x62), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    expect((await writer.sendRaw(w.toBytes())).header.err).toBe(0);
    expect(await getDataLength(writer, '/big')).toBe(bigData);
    await sleep(200);
    const before = rssBytes(server.pid);

    const greedy = connect({ host: '127.0.0.1', port: server.port });
    fixture.onCleanup(() => greedy.destroy());
    greedy.pause(); // never reads
    greedy.on('error', () => {});
    await new Promise((resolve) => greedy.once('connect', resolve));
    greedy.write(connectThenGetData('/big', 1000));

    // Bounded: 3 s of sampling (the unthrottled server had passed 300 MB by then), stopping early past the bound.
    let peak = before;
    for (let t = 0; t < 30 && peak - before < 64 * megabyte; t++) {
      await sleep(100);
      peak = Math.max(peak, rssBytes(server.pid));
    }
    const grown = (peak - before) / megabyte;
    expect(grown, `server RSS ${(before / megabyte).toFixed(0)} MB -> peak ${(peak / megabyte).toFixed(0)} MB while the client does not read`).toBeLessThan(64);

    // Another client is served meanwhile, the 1 MB read included.
    const other = await fixture.session(server.port);
    expect(await getDataLength(other, '/big')).toBe(bigData);

    greedy.destroy();
    await sleep(500);
    const after = rssBytes(server.pid);
    expect((after - before) / megabyte, `server RSS ${(after / megabyte).toFixed(0)} MB after the client left (${(before / megabyte).toFixed(0)} MB before it came)`).toBeLessThan(64);
    expect(await getDataLength(other, '/big')).toBe(bigData);
  }, 30_000);
});
