// Data-driven tests: a scenario is a text file of commands, each followed by
// the output it must produce, so that a story about a reducer reads as data
// rather than as code. The format is CockroachDB's datadriven, as etcd-io/raft
// uses it for its testdata/*.txt:
//
//   # A comment line (column 0); comments and blank lines between cases stay as they are.
//   command arg key=value key=(v1,v2,v3)
//   optional input lines
//   ----
//   the expected output, up to the next blank line or the end of the file
//
// An output that has blank lines in it is written between doubled separators:
//
//   command
//   ----
//   ----
//   first paragraph
//
//   second paragraph
//   ----
//   ----
//
// A directory's test file registers one test per scenario file with a fresh
// handler (the handler keeps the scenario's state between commands):
// `for (const s of scenarios(dir, newHandler)) it(s.name, s.run)`. The handler returns a command's output as text;
// an argument it does not read is an error (a typo in a scenario must not pass
// silently), and so is a command it does not know.
//
// Rewriting: with REWRITE=1 in the environment, runFile writes every actual
// output into the file instead of comparing, and the test passes; review the
// change with `git diff` as you would review code. For example:
//
//   REWRITE=1 npx vitest run --config .ci/vitest.config.ts spec/zab/datadriven.test.ts
//
// Without it, the first output that differs fails the test with the file, the
// line of the command, and both outputs (vitest prints the diff). A scenario
// stops at its first difference because every later command runs on the state
// the earlier ones left.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One argument of a command line: `key`, `key=value` or `key=(v1,v2,...)`. */
export interface CommandArg {
  readonly key: string;
  /** Empty for a bare `key` and for `key=()`. */
  readonly values: readonly string[];
  /** False for a bare `key`. */
  readonly assigned: boolean;
}

/** One case of a scenario file, as the handler sees it. */
export class TestCase {
  private readonly read = new Set<string>();

  constructor(
    /** Where the case is, for messages: `file:line` of its command line. */
    readonly where: string,
    readonly command: string,
    readonly args: readonly CommandArg[],
    /** The lines between the command and the separator, joined with newlines (empty when none). */
    readonly input: string,
  ) {}

  /** Whether the argument is present (a bare `key`, or `key=...`). */
  has(key: string): boolean {
    this.read.add(key);
    return this.args.some((arg) => arg.key === key);
  }

  /** The values of `key=(v1,v2)` (or of `key=v` as one value); `fallback` when the argument is absent. */
  strings(key: string, fallback?: readonly string[]): readonly string[] {
    this.read.add(key);
    const arg = this.args.find((a) => a.key === key);
    if (arg !== undefined) return arg.values;
    if (fallback === undefined) throw this.error(`needs the argument ${key}=...`);
    return fallback;
  }

  /** The single value of `key=v`; `fallback` when the argument is absent. */
  string(key: string, fallback?: string): string {
    const values = this.strings(key, fallback === undefined ? undefined : [fallback]);
    if (values.length !== 1) throw this.error(`argument ${key} wants one value, has ${values.length}`);
    return values[0]!;
  }

  int(key: string, fallback?: number): number {
    return this.toInt(key, this.string(key, fallback === undefined ? undefined : String(fallback)));
  }

  ints(key: string, fallback?: readonly number[]): number[] {
    return this.strings(key, fallback?.map(String)).map((value) => this.toInt(key, value));
  }

  /** The bare arguments (`command a b` gives ["a", "b"]), in order. */
  positionals(): string[] {
    const bare = this.args.filter((arg) => !arg.assigned);
    for (const arg of bare) this.read.add(arg.key);
    return bare.map((arg) => arg.key);
  }

  /** An error that names this case; handlers throw it for a malformed command. */
  error(message: string): Error {
    return new Error(`${this.where}: ${this.command}: ${message}`);
  }

  /** The arguments the handler never looked at. */
  unread(): string[] {
    return this.args.filter((arg) => !this.read.has(arg.key)).map((arg) => arg.key);
  }

  private toInt(key: string, value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n)) throw this.error(`argument ${key}=${value} is not an integer`);
    return n;
  }
}

/** Runs one case and returns its output. Throwing fails the scenario at this case. */
export type Handler = (testCase: TestCase) => string;

/** The first case whose output differs; vitest prints `expected` against `actual` as a diff. */
export class DataDrivenMismatch extends Error {
  override readonly name = 'DataDrivenMismatch';
  readonly showDiff = true;

  constructor(
    readonly where: string,
    readonly command: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${where}: the output of \`${command}\` differs from the file (REWRITE=1 rewrites it)\n--- expected\n${expected}--- actual\n${actual}`);
  }
}

export interface RunOptions {
  /** Write actual outputs into the text instead of comparing; defaults to REWRITE in the environment. */
  readonly rewrite?: boolean;
}

/** Whether the environment asks for rewriting: REWRITE set to anything but "", "0" or "false". */
export function rewriteRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['REWRITE'];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * Runs every case of a scenario given as text (`name` is used in messages).
 * Returns the text with the actual outputs written in, which is the input
 * itself when nothing differs. Without rewriting, the first difference throws.
 */
export function runText(name: string, text: string, handler: Handler, options: RunOptions = {}): string {
  const rewrite = options.rewrite ?? rewriteRequested();
  const lines = text.split('\n');
  const out: string[] = [];
  let copied = 0;
  for (const parsed of parseCases(name, lines)) {
    const testCase = new TestCase(`${name}:${parsed.line + 1}`, parsed.command, parsed.args, parsed.input);
    const actual = normalise(runCase(testCase, handler));
    if (actual === parsed.expected) continue;
    if (!rewrite) throw new DataDrivenMismatch(testCase.where, lines[parsed.line]!, parsed.expected, actual);
    out.push(...lines.slice(copied, parsed.separator), ...formatOutput(actual));
    copied = parsed.end;
  }
  if (copied === 0) return text;
  out.push(...lines.slice(copied));
  return out.join('\n');
}

/** Runs a scenario file (see the header); with rewriting on, writes the file back when an output changed. */
export function runFile(path: string, handler: Handler, options: RunOptions = {}): void {
  const text = readFileSync(path, 'utf8');
  const result = runText(path, text, handler, options);
  if (result !== text) writeFileSync(path, result);
}

/** The .txt files directly under `dir` (a path or a file: URL), sorted by name. */
export function testdataFiles(dir: string | URL): string[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  return readdirSync(path)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => join(path, name));
}

/**
 * The scenario files under `dir`, each with its name and a function that runs
 * it through a fresh handler; a directory's test file registers one test per
 * file: `for (const s of scenarios(dir, newHandler)) it(s.name, s.run)`.
 */
export function scenarios(dir: string | URL, newHandler: () => Handler): { readonly name: string; readonly run: () => void }[] {
  return testdataFiles(dir).map((path) => ({ name: basename(path), run: () => runFile(path, newHandler()) }));
}

function runCase(testCase: TestCase, handler: Handler): string {
  let output: string;
  try {
    output = handler(testCase);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(testCase.where)) throw error;
    throw new Error(`${testCase.where}: ${testCase.command} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const unread = testCase.unread();
  if (unread.length > 0) throw testCase.error(`unknown argument${unread.length > 1 ? 's' : ''} ${unread.join(', ')}`);
  return output;
}

/** A case as parsed: line indexes (0-based) of its command, of its first separator, and past its output. */
interface ParsedCase {
  readonly line: number;
  readonly command: string;
  readonly args: CommandArg[];
  readonly input: string;
  readonly separator: number;
  readonly end: number;
  readonly expected: string;
}

const SEPARATOR = '----';

function* parseCases(name: string, lines: readonly string[]): Generator<ParsedCase> {
  let i = 0;
  while (i < lines.length) {
    const text = lines[i]!;
    if (text.trim() === '' || text.startsWith('#')) {
      i++;
      continue;
    }
    const line = i;
    const [command, ...tokens] = tokenize(`${name}:${line + 1}`, text);
    const input: string[] = [];
    for (i++; i < lines.length && lines[i] !== SEPARATOR; i++) input.push(lines[i]!);
    if (i === lines.length) throw new Error(`${name}:${line + 1}: \`${text}\` has no ${SEPARATOR} line`);
    const separator = i;
    i++;
    const expected: string[] = [];
    if (lines[i] === SEPARATOR) {
      // Doubled separators: the output runs to the next `----` `----` pair and may hold blank lines.
      for (i++; i < lines.length && !(lines[i] === SEPARATOR && lines[i + 1] === SEPARATOR); i++) expected.push(lines[i]!);
      if (i === lines.length) throw new Error(`${name}:${line + 1}: the output of \`${text}\` has no closing ${SEPARATOR} ${SEPARATOR}`);
      i += 2;
    } else {
      for (; i < lines.length && lines[i]!.trim() !== ''; i++) expected.push(lines[i]!);
    }
    yield { line, command: command!, args: tokens.map(parseArg), input: input.join('\n'), separator, end: i, expected: normalise(expected.join('\n')) };
  }
}

/** Splits a command line on spaces, keeping `key=(a, b)` together. */
function tokenize(where: string, text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of text.trim()) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (depth < 0) throw new Error(`${where}: unbalanced ) in \`${text}\``);
    if (char === ' ' && depth === 0) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw new Error(`${where}: unbalanced ( in \`${text}\``);
  if (current !== '') tokens.push(current);
  return tokens;
}

function parseArg(token: string): CommandArg {
  const eq = token.indexOf('=');
  if (eq < 0) return { key: token, values: [], assigned: false };
  const key = token.slice(0, eq);
  const value = token.slice(eq + 1);
  if (!value.startsWith('(')) return { key, values: [value], assigned: true };
  const inner = value.slice(1, -1).trim();
  return { key, values: inner === '' ? [] : inner.split(',').map((v) => v.trim()), assigned: true };
}

/** Outputs compare with trailing spaces and trailing blank lines removed, ending in one newline (or empty). */
function normalise(output: string): string {
  const lines = output.split('\n').map((line) => line.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The separator and output lines as they are written back. */
function formatOutput(output: string): string[] {
  const lines = output === '' ? [] : output.slice(0, -1).split('\n');
  if (lines.some((line) => line === '' || line === SEPARATOR)) return [SEPARATOR, SEPARATOR, ...lines, SEPARATOR, SEPARATOR];
  return [SEPARATOR, ...lines];
}
