// How a state becomes bytes and back, for the disk-backed breadth-first
// search (disk-bfs.ts): its frontier is written to disk in segments
// (disk-state-queue.ts, TLC's DiskStateQueue) and into checkpoints, and a
// JavaScript object cannot be written as it is. A model may give its own
// codec (Model.serialize / deserialize, usually a few bytes per state written
// by hand); otherwise v8's structured serialisation is the fallback, which
// handles any plain-data state (objects, arrays, Maps, Sets) at a few
// microseconds per state. The codec never enters fingerprints: a state read
// back is fingerprinted only as a successor's parent, never re-added.

import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import type { Model } from './model.ts';

export interface StateCodec<S> {
  /** 'model' when the model gave serialize/deserialize, 'v8' for the fallback. */
  readonly kind: 'model' | 'v8';
  encode(state: S): Uint8Array;
  decode(bytes: Uint8Array): S;
}

/** The model's own codec when it has one, else v8's structured serialisation. */
export function codecOf<S>(model: Model<S, unknown>): StateCodec<S> {
  const { serialize, deserialize } = model;
  if (serialize !== undefined && deserialize !== undefined) {
    return { kind: 'model', encode: (state) => serialize.call(model, state), decode: (bytes) => deserialize.call(model, bytes) };
  }
  return { kind: 'v8', encode: (state) => v8Serialize(state), decode: (bytes) => v8Deserialize(bytes) as S };
}
