// ITF values back to the plain JSON a spec's view is (the inverse of
// model-check/itf.ts's toItfValue, and what conformance/trace.ts writes):
// {"#bigint"} to a number when exact in a double (a decimal string beyond),
// {"#set"} to an array, {"#map"} to a record when its keys are strings and to
// an array of pairs otherwise, {"#unserializable": "null"} to null. The
// diagram reads views, not ITF, so that one picture description serves a
// counterexample file and its ITF copy alike.

export function fromItf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromItf);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record['#bigint'] === 'string') {
    const n = Number(record['#bigint']);
    return Number.isSafeInteger(n) ? n : record['#bigint'];
  }
  if (Array.isArray(record['#set'])) return record['#set'].map(fromItf);
  if (Array.isArray(record['#tup'])) return record['#tup'].map(fromItf);
  if (Array.isArray(record['#map'])) {
    const pairs = (record['#map'] as unknown[][]).map(([k, v]) => [fromItf(k), fromItf(v)] as const);
    return pairs.every(([k]) => typeof k === 'string') ? Object.fromEntries(pairs) : pairs;
  }
  if (typeof record['#unserializable'] === 'string') return record['#unserializable'] === 'null' ? null : record['#unserializable'];
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) out[key] = fromItf(field);
  return out;
}
