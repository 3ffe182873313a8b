// Bad usage of the conformance command line: an error cli.ts's main prints
// with the usage and exit code 2, thrown by any of its commands.

export class UsageError extends Error {}

/** A non-negative integer option, or its default when absent. */
export function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}
