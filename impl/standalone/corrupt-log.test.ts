// A damaged txn log tail, made while the server is stopped: first the last
// record cut in the middle (a torn write), then, after more writes, one byte
// of the new last record flipped (bit rot). Each time the server must start,
// log the truncation (event `log-truncated` with the reason), and serve every
// write logged before the damage; the damaged write alone is gone.

import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { RawClient } from '../server/raw-client.ts';
import { filesWithPrefix, logPrefix } from '../storage/file-names.ts';
import { isAllZero, logHeaderBytes, recordHeaderBytes } from '../storage/record-format.ts';
import { startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

async function dataOf(client: RawClient, path: string): Promise<string | undefined> {
  const reply = await client.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
  if (reply.header.err !== 0) return undefined;
  const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return new TextDecoder().decode(decoded.value.data);
}

/** The newest log file and the offset and payload length of its last record. */
function lastRecord(dataDir: string): { path: string; offset: number; payloadBytes: number } {
  const logDir = join(dataDir, 'version-2');
  const newest = filesWithPrefix(readdirSync(logDir), logPrefix).at(-1)!;
  const path = join(logDir, newest.name);
  const bytes = readFileSync(path);
  let offset = logHeaderBytes;
  let last = -1;
  // A log file killed while open keeps its preallocated zeros after the last record.
  while (offset < bytes.length && !isAllZero(bytes, offset)) {
    last = offset;
    offset += recordHeaderBytes + bytes.readUInt32BE(offset);
  }
  expect(offset <= bytes.length && isAllZero(bytes, offset), 'the log ends at a record boundary (then zeros) before we damage it').toBe(true);
  return { path, offset: last, payloadBytes: bytes.readUInt32BE(last) };
}

describe('a damaged log tail is truncated at restart and everything before it is served', () => {
  it('survives a torn last record, then a flipped byte in the last record', async () => {
    const dir = fixture.dataDir(['tickTime=500']);
    const dataDir = join(dir.path, 'data');

    // 1. Twenty acknowledged creates; the last logged txn is the last create (SIGKILL: no closeSession follows).
    let server = await startChild(dir.configPath);
    let client = await fixture.session(server.port);
    expect((await client.create('/t', 'root')).header.err).toBe(0);
    for (let i = 0; i < 20; i++) expect((await client.create(`/t/n${i}`, `first ${i}`)).header.err).toBe(0);
    server.kill('SIGKILL');
    await server.exited;

    const torn = lastRecord(dataDir);
    truncateSync(torn.path, torn.offset + recordHeaderBytes + Math.floor(torn.payloadBytes / 2));

    server = await startChild(dir.configPath);
    expect(server.logs.find((l) => l.event === 'log-truncated')).toMatchObject({ level: 'warn', reason: 'torn-record', offset: torn.offset });
    client = await fixture.session(server.port);
    for (let i = 0; i < 19; i++) expect(await dataOf(client, `/t/n${i}`)).toBe(`first ${i}`);
    expect(await dataOf(client, '/t/n19'), 'the torn create is gone').toBeUndefined();

    // 2. Ten more acknowledged creates, then one byte of the last record's payload flipped.
    for (let i = 0; i < 10; i++) expect((await client.create(`/t/m${i}`, `second ${i}`)).header.err).toBe(0);
    server.kill('SIGKILL');
    await server.exited;

    const rotten = lastRecord(dataDir);
    const bytes = readFileSync(rotten.path);
    const target = rotten.offset + recordHeaderBytes + Math.floor(rotten.payloadBytes / 2);
    bytes[target] = bytes[target]! ^ 0x10;
    writeFileSync(rotten.path, bytes);

    server = await startChild(dir.configPath);
    expect(server.logs.find((l) => l.event === 'log-truncated')).toMatchObject({ level: 'warn', reason: 'bad-checksum', offset: rotten.offset });
    client = await fixture.session(server.port);
    for (let i = 0; i < 19; i++) expect(await dataOf(client, `/t/n${i}`)).toBe(`first ${i}`);
    for (let i = 0; i < 9; i++) expect(await dataOf(client, `/t/m${i}`)).toBe(`second ${i}`);
    expect(await dataOf(client, '/t/m9'), 'the rotten create is gone').toBeUndefined();
    // And the server keeps logging after the repair: a new write survives another restart.
    expect((await client.create('/t/after', 'ok')).header.err).toBe(0);
    server.kill('SIGKILL');
    await server.exited;
    server = await startChild(dir.configPath);
    expect(server.logs.some((l) => l.event === 'log-truncated')).toBe(false);
    client = await fixture.session(server.port);
    expect(await dataOf(client, '/t/after')).toBe('ok');
    expect(await dataOf(client, '/t/m8')).toBe('second 8');
  }, 90_000);
});
