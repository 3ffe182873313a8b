// acceptedEpoch and currentEpoch: the two numbers a ZAB participant must never
// forget (ZAB paper §3 "Phase 1: Discovery" and §4; ZooKeeper's QuorumPeer
// keeps them in files of these names in the snapshot directory). A follower
// that promised epoch e (acceptedEpoch) and forgot it after a crash could
// promise an older leader again, and a server whose two files disagree may
// refuse to start (ZOOKEEPER-2307: memory updated before the file). Each is a
// decimal number and a newline, as ZooKeeper writes them, replaced atomically:
// temp file, fsync, rename, directory fsync. The write resolves only after the
// directory fsync, so a caller acts on the new epoch (sends ACKEPOCH) only once
// it is durable; a `.tmp` left by a crash before the rename was never acted on,
// and recovery may delete it (ZOOKEEPER-4269 is ZooKeeper reading it instead,
// needed there because its caller does not wait for the rename).

import { writeFileAtomically, type FsLayer } from './fs-layer.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';

export type EpochFileName = 'acceptedEpoch' | 'currentEpoch';

/** Reads an epoch file; `undefined` if it does not exist yet (a new server). */
export async function readEpochFile(fs: FsLayer, dir: string, name: EpochFileName): Promise<Result<bigint | undefined, StorageError>> {
  const path = `${dir}/${name}`;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (thrown) {
    if ((thrown as { code?: unknown }).code === 'ENOENT') return ok(undefined);
    return attempt('read', path, () => Promise.reject(thrown));
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (!/^\d{1,19}$/.test(text)) {
    return err({ kind: 'corrupt', path, message: `${path} should hold a decimal epoch, holds ${JSON.stringify(text.slice(0, 40))}` });
  }
  return ok(BigInt(text));
}

export async function writeEpochFile(fs: FsLayer, dir: string, name: EpochFileName, epoch: bigint): Promise<Result<void, StorageError>> {
  if (epoch < 0n) throw new RangeError(`negative epoch ${epoch}`);
  return attempt('write', `${dir}/${name}`, () => writeFileAtomically(fs, dir, name, new TextEncoder().encode(`${epoch}\n`)));
}
