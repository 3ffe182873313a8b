// Where a tool's output goes and its answers come from: the process's stdout,
// stderr and stdin when run as a command, strings in tests (which then run a
// tool in-process instead of spawning one per case).

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export type ToolIo = {
  /** One line of output (stdout), without its newline. */
  readonly out: (text: string) => void;
  /** An error for the operator (stderr), without its newline. */
  readonly err: (text: string) => void;
  /** Where a yes or no is read from (stdin). */
  readonly input: NodeJS.ReadableStream;
};

export const processIo: ToolIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  input: process.stdin,
};

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
