// How a counterexample is printed: the initial state whole, one field per
// line, then each step's action with only the fields the step changed (TLC
// prints every state whole; a diff reads faster). Network bookkeeping and
// ghost fields that a spec lists in `Model.hiddenFields` are left out unless
// --verbose, and a line at the end says what was hidden, so a reader never
// mistakes a hidden field for an unchanged one.
//
// The diff is generic and structural over model.view output (plain JSON
// data): objects by key, arrays by index, paths written as in TypeScript
// (`acceptors[1].maxBal`). A short array of plain values (a set of server
// ids, nextIndex) is one field: `votesGranted: [0] -> [0,1]` reads better
// than an element per line.

export interface FieldChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface TraceFormat {
  /** Field paths to leave out (Model.hiddenFields); `[*]` matches any index. */
  readonly hiddenFields?: readonly string[];
  /** Show the hidden fields too. */
  readonly verbose?: boolean;
}

interface DiffOptions {
  /** Compare arrays of at most this many plain values as one field. */
  readonly wholeArraysUpTo: number;
}

const ELEMENTWISE: DiffOptions = { wholeArraysUpTo: -1 };
const READABLE: DiffOptions = { wholeArraysUpTo: 12 };

/** The leaves that differ between two views; an absent side is `undefined`. */
export function diffViews(before: unknown, after: unknown, path = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  collectChanges(before, after, path, changes, ELEMENTWISE);
  return changes;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isPlain = (value: unknown) => value === null || typeof value !== 'object';

function isSmallPlainArray(value: readonly unknown[], options: DiffOptions): boolean {
  return value.length <= options.wholeArraysUpTo && value.every(isPlain);
}

function collectChanges(before: unknown, after: unknown, path: string, changes: FieldChange[], options: DiffOptions): void {
  if (Object.is(before, after)) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    if (isSmallPlainArray(before, options) && isSmallPlainArray(after, options)) {
      if (!isDeepEqual(before, after)) changes.push({ path: path === '' ? '(state)' : path, before, after });
      return;
    }
    collectArrayChanges(before, after, path, changes, options);
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) collectChanges(before[key], after[key], path === '' ? key : `${path}.${key}`, changes, options);
    return;
  }
  changes.push({ path: path === '' ? '(state)' : path, before, after });
}

/**
 * Arrays are compared after their common prefix and suffix, so that taking
 * the head of a FIFO channel or inserting into a sorted bag reads as one
 * removed or added element rather than every later element changing.
 */
function collectArrayChanges(before: readonly unknown[], after: readonly unknown[], path: string, changes: FieldChange[], options: DiffOptions): void {
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shorter && isDeepEqual(before[prefix], after[prefix])) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && isDeepEqual(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) suffix++;
  const removed = before.length - prefix - suffix;
  const added = after.length - prefix - suffix;
  if (removed === 0 || added === 0 || removed === added) {
    // Pure removal, pure insertion, or replacement in place: element by element at the original indices.
    const length = Math.max(removed, added);
    for (let i = prefix; i < prefix + length; i++) {
      collectChanges(i - prefix < removed ? before[i] : undefined, i - prefix < added ? after[i] : undefined, `${path}[${i}]`, changes, options);
    }
    return;
  }
  const length = Math.max(before.length, after.length);
  for (let i = prefix; i < length; i++) collectChanges(before[i], after[i], `${path}[${i}]`, changes, options);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => isDeepEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && isDeepEqual(a[key], b[key]));
  }
  return false;
}

// --- Hidden fields ---------------------------------------------------------------------------

/** Whether `path` is `pattern` or lies inside it (`ghost` hides `ghost.committed[0]`; `servers[*].config` hides `servers[2].config`). */
export function isHidden(path: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((pattern) => pattern.test(path));
}

export function hiddenPatterns(fields: readonly string[]): RegExp[] {
  return fields.map((field) => {
    const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\[\\\*\\\]/g, '\\[\\d+\\]');
    return new RegExp(`^${escaped}(?=$|[.[])`);
  });
}

// --- Printing --------------------------------------------------------------------------------

const VALUE_CHARS_MAX = 160;
/** A step whose changes fit in this many characters is printed on one line. */
const LINE_CHARS_MAX = 160;
/** The initial state is printed field by field, down to fields whose JSON fits in this many characters. */
const FIELD_CHARS_MAX = 110;
const ACTION_WIDTH_MAX = 32;
/** A field whose JSON is at most this long shares a line with its siblings in the initial state. */
const SHORT_FIELD_CHARS = 40;

export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX - 3)}...` : text;
}

export function formatChange(change: FieldChange): string {
  return `${change.path}: ${formatValue(change.before)} -> ${formatValue(change.after)}`;
}

/** The fields of a whole state, one line each: `path: json`, splitting records and arrays until each fits on a line. Never cut. */
export function formatWholeState(view: unknown, hidden: readonly RegExp[] = []): string[] {
  return fieldLines(hidden.length === 0 ? view : withoutHidden(view, hidden, ''), '');
}

const HIDDEN = Symbol('hidden');

/** `view` without its hidden fields (an array keeps its indices: a hidden element reads "(hidden)"). */
function withoutHidden(view: unknown, hidden: readonly RegExp[], path: string): unknown {
  if (path !== '' && isHidden(path, hidden)) return HIDDEN;
  if (Array.isArray(view)) {
    return view.map((item, i) => {
      const kept = withoutHidden(item, hidden, `${path}[${i}]`);
      return kept === HIDDEN ? '(hidden)' : kept;
    });
  }
  if (!isRecord(view)) return view;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(view)) {
    const kept = withoutHidden(value, hidden, path === '' ? key : `${path}.${key}`);
    if (kept !== HIDDEN) out[key] = kept;
  }
  return out;
}

function fieldLines(view: unknown, path: string): string[] {
  const text = JSON.stringify(view) ?? String(view);
  const label = path === '' ? '(state)' : path;
  const splittable = (isRecord(view) && Object.keys(view).length > 0) || (Array.isArray(view) && view.length > 0 && !view.every(isPlain));
  if ((path !== '' && text.length + label.length + 2 <= FIELD_CHARS_MAX) || !splittable) return path === '' && isRecord(view) ? [] : [`${label}: ${text}`];
  const lines: string[] = [];
  if (Array.isArray(view)) {
    view.forEach((item, i) => lines.push(...fieldLines(item, `${path}[${i}]`)));
    return lines;
  }
  // A record's short fields share lines (`servers[0].node: id=0 state="LOOKING" ...`); the long ones get lines of their own.
  const short: string[] = [];
  for (const [key, value] of Object.entries(view as Record<string, unknown>)) {
    const json = JSON.stringify(value) ?? String(value);
    if (path !== '' && json.length <= SHORT_FIELD_CHARS) short.push(`${key}=${json}`);
    else lines.push(...fieldLines(value, path === '' ? key : `${path}.${key}`));
  }
  return [...packed(`${label}: `, short), ...lines];
}

/** `items` after `prefix`, separated by spaces, as few lines as fit in FIELD_CHARS_MAX (each line starts with the prefix). */
function packed(prefix: string, items: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line !== '' && prefix.length + line.length + 1 + item.length > FIELD_CHARS_MAX) {
      lines.push(prefix + line);
      line = '';
    }
    line = line === '' ? item : `${line} ${item}`;
  }
  if (line !== '') lines.push(prefix + line);
  return lines;
}

/**
 * A counterexample: the initial state whole, then per step the action and the
 * fields it changed, on the action's line when they fit and one per line
 * below it otherwise:
 *
 *     0: Init
 *          acceptors[0]: {"maxBal":-1}
 *     1: Phase1b(a1, b0)   acceptors[1].maxBal: -1 -> 0
 */
export function formatTrace(
  trace: { readonly initial: unknown; readonly steps: readonly { readonly action: string; readonly state: unknown }[]; readonly cycleStart?: number },
  format: TraceFormat = {},
): string[] {
  const hidden = format.verbose === true ? [] : hiddenPatterns(format.hiddenFields ?? []);
  const numberWidth = String(trace.steps.length).length;
  const width = Math.min(ACTION_WIDTH_MAX, Math.max(4, ...trace.steps.map((step) => step.action.length)));
  const indent = ' '.repeat(2 + numberWidth + 2 + 3);
  const lines = [`  ${'0'.padStart(numberWidth)}: Init`];
  for (const field of formatWholeState(trace.initial, hidden)) lines.push(`${indent}${field}`);
  let hiddenChanges = 0;
  let previous = trace.initial;
  trace.steps.forEach((step, i) => {
    if (i === trace.cycleStart) lines.push(`  -- the cycle starts at state ${i}:`);
    const all: FieldChange[] = [];
    collectChanges(previous, step.state, '', all, READABLE);
    const shown = all.filter((change) => !isHidden(change.path, hidden));
    hiddenChanges += all.length - shown.length;
    const changes = shown.map(formatChange);
    if (changes.length === 0) changes.push(all.length === 0 ? '(no change)' : '(only hidden fields changed)');
    const head = `  ${String(i + 1).padStart(numberWidth)}: ${step.action.padEnd(width)}`;
    const oneLine = `${head}   ${changes.join('; ')}`;
    if (oneLine.length <= LINE_CHARS_MAX) {
      lines.push(oneLine);
    } else {
      lines.push(head.trimEnd());
      for (const change of changes) lines.push(`${indent}${change}`);
    }
    previous = step.state;
  });
  if (trace.cycleStart !== undefined) lines.push(cycleEnd(trace.cycleStart, trace.steps.length));
  if (hidden.length > 0) {
    const changed = hiddenChanges === 0 ? '' : ` (${hiddenChanges} changes to them not shown)`;
    lines.push(`  hidden: ${(format.hiddenFields ?? []).join(', ')}${changed}; --verbose shows them`);
  }
  return lines;
}

/** The line closing a lasso (report-types.ts's Trace.cycleStart): back to where the cycle started, or stuttering at a state without successors. */
function cycleEnd(cycleStart: number, steps: number): string {
  if (cycleStart === steps) return `  -- state ${cycleStart} has no successor: the behaviour stutters there forever`;
  return `  -- back to state ${cycleStart}: the cycle repeats forever`;
}
