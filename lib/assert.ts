// Programmer errors crash loudly (TigerBeetle style): an assertion names the
// broken expectation and the values involved. Operating errors are values, not
// assertions; see each part's Result types.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'function' ? message() : message);
  }
}

/** The default branch of an exhaustive switch: reaching it is a programmer error. */
export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
