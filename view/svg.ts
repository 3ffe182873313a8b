// The space-time diagram as SVG: time runs down, one vertical lane per node
// (labelled at the top with its initial role; the initial node whole on
// hover), one row per step with its action on the left and the fields it
// changed on the right (all of them on hover, SVG <title>), messages as arrows
// coloured by type from the sending row to the delivering one, and marks for
// crashes, restarts, partitions, disk syncs and commits. A lasso's cycle is a
// bracket in the left margin; a validator's rejected step is a red band.
// Lamport's and the Raft paper's figures read this way, and a reviewer can
// paste the file into a design document.
//
// Plain SVG 1.1 with no script, no external reference and no font beyond the
// generic families, so the file renders the same in a browser, an image
// viewer and GitHub's Markdown. The data-* attributes (lane, step, arrow
// endpoints, mark kind, highlight) are for tests and tools reading the file.

import { assertNever } from '../lib/assert.ts';
import type { Arrow, Diagram, DiagramMark, DiagramStep } from './diagram.ts';
import type { MarkKind } from './spec-pictures.ts';

const LEFT = 350;
/** Where a row's action starts: the left margin holds a lasso's bracket. */
const TEXT_X = 34;
const LANE_W = 150;
const ROW_H = 26;
const TOP = 128;
const CHANGES_W = 470;
const CHANGES_GAP = 60;
const ACTION_CHARS = 44;
const CHANGE_CHARS = 64;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#393b79', '#637939'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const cut = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const title = (text: string) => `<title>${escapeXml(text)}</title>`;
/** Text with a white halo, so that it stays readable over lines and arrows. */
const halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"';

interface Geometry {
  readonly laneX: (id: string) => number;
  readonly rowY: (index: number) => number;
  /** Where the changes column starts: past the last lane's role labels. */
  readonly changesX: number;
  readonly width: number;
  readonly height: number;
  readonly lastRow: number;
}

function geometry(diagram: Diagram): Geometry {
  const index = new Map(diagram.lanes.map((l, i) => [l.id, i]));
  const lastRow = diagram.steps.length + 1;
  return {
    laneX: (id) => LEFT + LANE_W * ((index.get(id) ?? 0) + 0.5),
    rowY: (row) => TOP + ROW_H * row,
    changesX: LEFT + LANE_W * diagram.lanes.length + CHANGES_GAP,
    width: LEFT + LANE_W * diagram.lanes.length + CHANGES_GAP + CHANGES_W,
    height: TOP + ROW_H * (lastRow + 1) + 24,
    lastRow,
  };
}

/** The diagram as a standalone SVG document. */
export function renderSvg(diagram: Diagram): string {
  const g = geometry(diagram);
  const colours = new Map<string, string>();
  const colourOf = (type: string) => {
    if (!colours.has(type)) colours.set(type, PALETTE[colours.size % PALETTE.length]!);
    return colours.get(type)!;
  };
  const labelPositions = staggered(diagram.arrows);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" font-family="sans-serif" font-size="12" data-spec="${escapeXml(diagram.spec)}" data-lanes="${diagram.lanes.length}" data-steps="${diagram.steps.length}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(diagram.title)}</text>`,
    legend(),
    ...(diagram.highlight === undefined ? [] : [highlightBand(diagram, g)]),
    rowBands(diagram, g),
    initRow(g),
    ...diagram.lanes.map((lane) => laneColumn(diagram, lane.id, g)),
    ...(diagram.loopStart === undefined ? [] : [loopBracket(diagram.loopStart, diagram.steps.length, g)]),
    ...diagram.arrows.map((a, k) => arrow(a, g, colourOf(a.type), labelPositions[k]!)),
    ...diagram.steps.map((s) => stepRow(s, g)),
    ...(diagram.violated === undefined ? [] : [violationNote(diagram, g)]),
    `</svg>`,
  ];
  return `${parts.join('\n')}\n`;
}

/**
 * Where along each arrow its label sits: arrows leaving one lane at one step
 * (a leader's DIFF, PROPOSAL, COMMIT and NEWLEADER) get their labels at
 * different fractions of their length, so that they do not print over each other.
 */
function staggered(arrows: readonly Arrow[]): number[] {
  const rank = new Map<string, number>();
  const order = arrows.map((_, k) => k).sort((x, y) => arrows[x]!.received - arrows[y]!.received);
  const out: number[] = [];
  for (const k of order) {
    const key = `${arrows[k]!.from}@${arrows[k]!.sent}`;
    const r = rank.get(key) ?? 0;
    rank.set(key, r + 1);
    out[k] = Math.min(0.85, 0.5 + 0.17 * r);
  }
  return out;
}

/** A lane's colour while its node holds a role: leaders green, followers blue, candidates and lookers amber. */
function roleColour(role: string): string {
  const word = role.split(' ')[0]!.toLowerCase();
  if (word === 'down') return '#bbb';
  if (word === 'leading' || word === 'leader') return '#1a9850';
  if (word === 'following' || word === 'follower') return '#2c7bb6';
  if (word === 'looking' || word === 'candidate') return '#d08c00';
  if (word === 'observing') return '#8e44ad';
  return '#555';
}

function legend(): string {
  const items: [string, string][] = [
    [markGlyph('crash', 0, 0), 'crash'],
    [markGlyph('restart', 0, 0), 'restart'],
    [markGlyph('disk-sync', 0, 0), 'disk sync'],
    [markGlyph('commit', 0, 0), 'commit'],
    [markGlyph('timeout', 0, 0), 'timeout'],
    ['<line x1="-8" y1="0" x2="8" y2="0" stroke="#e67e00" stroke-width="3" stroke-dasharray="4 2"/>', 'partition'],
    ['<line x1="-8" y1="0" x2="8" y2="0" stroke="#333" stroke-dasharray="5 3"/>', 'send not recorded'],
    ['<line x1="-8" y1="0" x2="8" y2="0" stroke="#333" stroke-dasharray="1 3"/>', 'still in flight'],
  ];
  const out = items.map(([glyph, text], k) => `<g transform="translate(${20 + k * 118} 44)">${glyph}<text x="14" y="4" font-size="11" fill="#444">${text}</text></g>`);
  out.push(`<text x="12" y="66" font-size="11" fill="#666">time runs down; an arrow is a message from the step that sent it to the step that received it (colour: its type); hover a row, dot or arrow for every field</text>`);
  return `<g class="legend">${out.join('')}</g>`;
}

function highlightBand(diagram: Diagram, g: Geometry): string {
  const h = diagram.highlight!;
  const y = g.rowY(h.step);
  return `<g class="highlight" data-highlight-step="${h.step}">${title(`${h.title}\n${h.detail}`)}<rect x="4" y="${y - ROW_H / 2}" width="${g.width - 8}" height="${ROW_H}" fill="#ffd6d6" stroke="#d00" stroke-width="1.5"/><text x="${g.width - 10}" y="${y - ROW_H / 2 - 3}" text-anchor="end" font-size="11" font-weight="bold" fill="#b00" ${halo}>✗ ${escapeXml(h.label)}</text></g>`;
}

/** Alternate row shading, so that a reader follows a row from its action to its changes. */
function rowBands(diagram: Diagram, g: Geometry): string {
  const out: string[] = [];
  for (let row = 0; row <= diagram.steps.length; row += 2) out.push(`<rect x="4" y="${g.rowY(row) - ROW_H / 2}" width="${g.width - 8}" height="${ROW_H}" fill="#f4f6f8"/>`);
  return `<g class="rows">${out.join('')}</g>`;
}

function laneColumn(diagram: Diagram, id: string, g: Geometry): string {
  const lane = diagram.lanes.find((l) => l.id === id)!;
  const x = g.laneX(id);
  // One segment per role the lane holds (a leader's term in green, a crashed node's downtime grey and dashed).
  const segments: { from: number; to: number; role: string }[] = [];
  let role = lane.role;
  let start = 0;
  for (const step of diagram.steps) {
    const next = step.roles.get(id);
    if (next !== undefined && next.split(' ')[0] !== role.split(' ')[0]) {
      segments.push({ from: start, to: step.index, role });
      role = next;
      start = step.index;
    }
  }
  segments.push({ from: start, to: g.lastRow, role });
  const lines = segments.map((s) => {
    const down = s.role === 'down';
    return `<line class="lane-line" data-role="${escapeXml(s.role)}" x1="${x}" y1="${g.rowY(s.from)}" x2="${x}" y2="${g.rowY(s.to)}" stroke="${roleColour(s.role)}" stroke-width="${down ? 1.5 : 3}"${down ? ' stroke-dasharray="3 4"' : ''}/>`;
  });
  const initial = JSON.stringify(lane.initial, null, 1) ?? 'null';
  const header = `<g class="lane-header">${title(`${id} initially:\n${initial}`)}<rect x="${x - LANE_W / 2 + 8}" y="${TOP - 50}" width="${LANE_W - 16}" height="36" rx="5" fill="#e8eef7" stroke="#7a8ca8"/><text x="${x}" y="${TOP - 35}" text-anchor="middle" font-weight="bold" font-size="14">${escapeXml(id)}</text><text x="${x}" y="${TOP - 20}" text-anchor="middle" font-size="10" fill="#333">${escapeXml(cut(lane.role, 24))}</text></g>`;
  return `<g class="lane" data-lane="${escapeXml(id)}">${header}${lines.join('')}</g>`;
}

function loopBracket(loopStart: number, steps: number, g: Geometry): string {
  const x = 14;
  const y1 = g.rowY(loopStart);
  const y2 = g.rowY(steps);
  const text = loopStart === steps ? 'stutters here forever' : `cycle: back to ${loopStart}, forever`;
  return `<g class="loop" data-loop-start="${loopStart}">${title(loopStart === steps ? `state ${loopStart} has no successor: the behaviour stutters there forever` : `the steps from state ${loopStart} to ${steps} repeat forever (a liveness counterexample's lasso)`)}<path d="M ${x + 8} ${y2} H ${x} V ${y1} H ${x + 8}" fill="none" stroke="#8e44ad" stroke-width="2.5"/><path d="M ${x + 8} ${y1 - 4} L ${x + 14} ${y1} L ${x + 8} ${y1 + 4} Z" fill="#8e44ad"/><text x="${x + 4}" y="${(y1 + y2) / 2}" font-size="11" fill="#8e44ad" font-weight="bold" transform="rotate(-90 ${x + 4} ${(y1 + y2) / 2})" text-anchor="middle" dy="-4">${text}</text></g>`;
}

function arrowHead(x1: number, y1: number, x2: number, y2: number, colour: string): string {
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const size = 8;
  const p = (a: number) => `${(x2 - size * Math.cos(angle + a)).toFixed(1)},${(y2 - size * Math.sin(angle + a)).toFixed(1)}`;
  return `<polygon points="${x2.toFixed(1)},${y2.toFixed(1)} ${p(0.4)} ${p(-0.4)}" fill="${colour}"/>`;
}

function arrow(a: Arrow, g: Geometry, colour: string, at: number): string {
  const x1 = g.laneX(a.from);
  const y1 = g.rowY(a.sent);
  const y2 = g.rowY(Math.min(a.received, g.lastRow));
  const dash = a.kind === 'send-not-recorded' ? ' stroke-dasharray="6 4"' : a.kind === 'in-flight' ? ' stroke-dasharray="1 4"' : '';
  const attrs = `class="arrow" data-from="${escapeXml(a.from)}" data-to="${escapeXml(a.to)}" data-sent="${a.sent}" data-received="${a.received}" data-kind="${a.kind}"`;
  const tip = title(`${a.detail}\n${a.from} -> ${a.to}: sent at step ${a.sent}, ${a.kind === 'in-flight' ? 'still in flight at the end' : `${a.kind} at step ${a.received}`}`);
  if (a.from === a.to && a.kind === 'in-flight') {
    // A broadcast into a set nobody has read yet: a short stub.
    const x2 = x1 + 36;
    const y2s = y1 + ROW_H * 0.8;
    return `<g ${attrs}>${tip}<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2s}" stroke="${colour}" stroke-width="1.6"${dash}/>${arrowHead(x1, y1, x2, y2s, colour)}<text x="${x2 + 4}" y="${y2s + 3}" font-size="10" fill="${colour}" ${halo}>${escapeXml(cut(a.label, 26))} (unread)</text></g>`;
  }
  if (a.from === a.to) {
    // A message to oneself (Raft's RequestVote(i, i)): a loop beside the lane.
    const path = `M ${x1} ${y1} C ${x1 + 46} ${y1}, ${x1 + 46} ${y2}, ${x1 + 4} ${y2}`;
    return `<g ${attrs}>${tip}<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.6"${dash}/>${arrowHead(x1 + 30, y2, x1 + 3, y2, colour)}<text x="${x1 + 40}" y="${(y1 + y2) / 2 + 4}" font-size="10" fill="${colour}" ${halo}>${escapeXml(cut(a.label, 26))}</text></g>`;
  }
  let x2 = g.laneX(a.to);
  let end = '';
  if (a.kind === 'in-flight') x2 = x1 + (x2 - x1) * 0.5;
  if (a.kind === 'dropped') {
    x2 = x1 + (x2 - x1) * 0.6;
    end = `<path d="M ${x2 - 5} ${y2 - 5} L ${x2 + 5} ${y2 + 5} M ${x2 - 5} ${y2 + 5} L ${x2 + 5} ${y2 - 5}" stroke="#d00" stroke-width="2.5"/>`;
  } else {
    end = arrowHead(x1, y1, x2, y2, colour);
  }
  // The label sits early along the line (staggered), where arrows sent from one row have not yet met.
  const lx = x1 + (x2 - x1) * at;
  const ly = y1 + (y2 - y1) * at;
  return `<g ${attrs}>${tip}<line x1="${x1}" y1="${y1}" x2="${x2.toFixed(1)}" y2="${y2}" stroke="${colour}" stroke-width="1.6"${dash}/>${end}<text x="${lx.toFixed(1)}" y="${(ly - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="${colour}" ${halo}>${escapeXml(cut(a.label, 26))}</text></g>`;
}

function markGlyph(kind: MarkKind, x: number, y: number): string {
  switch (kind) {
    case 'crash':
      return `<path d="M ${x - 7} ${y - 7} L ${x + 7} ${y + 7} M ${x - 7} ${y + 7} L ${x + 7} ${y - 7}" stroke="#d00" stroke-width="3.5"/>`;
    case 'restart':
      return `<circle cx="${x}" cy="${y}" r="7" fill="#fff" stroke="#1a9850" stroke-width="3"/>`;
    case 'disk-sync':
      return `<rect x="${x - 6}" y="${y - 6}" width="12" height="12" fill="#4a6fa5" stroke="#fff"/>`;
    case 'commit':
      return `<path d="M ${x} ${y - 8} L ${x + 8} ${y} L ${x} ${y + 8} L ${x - 8} ${y} Z" fill="#1a9850" stroke="#fff"/>`;
    case 'timeout':
      return `<circle cx="${x}" cy="${y}" r="6" fill="#fff" stroke="#b8860b" stroke-width="2"/><path d="M ${x} ${y - 4} V ${y} H ${x + 3}" stroke="#b8860b" fill="none" stroke-width="1.5"/>`;
    case 'partition':
    case 'heal':
    case 'drop':
    case 'duplicate':
      return `<circle cx="${x}" cy="${y}" r="4" fill="#e67e00"/>`;
    default:
      return assertNever(kind, 'mark kind');
  }
}

function mark(m: DiagramMark, step: DiagramStep, g: Geometry, partner: string | undefined): string {
  const x = g.laneX(m.lane);
  const y = g.rowY(step.index);
  const attrs = `class="mark" data-kind="${m.kind}" data-lane="${escapeXml(m.lane)}" data-step="${step.index}"`;
  if ((m.kind === 'partition' || m.kind === 'heal') && partner !== undefined) {
    const x2 = g.laneX(partner);
    const style = m.kind === 'partition' ? 'stroke="#e67e00" stroke-width="3" stroke-dasharray="4 2"' : 'stroke="#1a9850" stroke-width="2" stroke-dasharray="2 3"';
    return `<g ${attrs}>${title(`${step.action}`)}<line x1="${x}" y1="${y}" x2="${x2}" y2="${y}" ${style}/><text x="${(x + x2) / 2}" y="${y - 4}" text-anchor="middle" font-size="10" ${halo}>${m.kind}</text></g>`;
  }
  return `<g ${attrs}>${title(`${m.kind}: ${step.action}`)}${markGlyph(m.kind, x, y)}</g>`;
}

function stepRow(step: DiagramStep, g: Geometry): string {
  const y = g.rowY(step.index);
  const parts: string[] = [];
  const all = [...step.changes].map(([lane, fields]) => `${lane}: ${fields.join('; ')}`);
  parts.push(`${title(`${step.index}: ${step.action}\n${all.join('\n') || '(no node changed)'}`)}`);
  parts.push(`<text x="${TEXT_X}" y="${y + 4}" font-size="12"><tspan fill="#888">${step.index}</tspan> ${escapeXml(cut(step.action, ACTION_CHARS))}</text>`);
  for (const [lane, fields] of step.changes) {
    parts.push(`<g class="change" data-lane="${escapeXml(lane)}">${title(`${lane} after ${step.action}:\n${fields.join('\n')}`)}<circle cx="${g.laneX(lane)}" cy="${y}" r="4.5" fill="#333"/></g>`);
  }
  if (step.actor !== undefined && !step.changes.has(step.actor)) {
    parts.push(`<circle cx="${g.laneX(step.actor)}" cy="${y}" r="4" fill="#fff" stroke="#333" stroke-width="1.5"/>`);
  }
  for (const [lane, role] of step.roles) {
    // On the lane, just above the step's dot: arrow labels sit halfway between lanes, clear of it.
    parts.push(`<text class="role" x="${g.laneX(lane)}" y="${y - 7}" text-anchor="middle" font-size="10" font-style="italic" font-weight="bold" fill="${roleColour(role)}" ${halo}>${escapeXml(cut(role, 22))}</text>`);
  }
  const partitions = step.marks.filter((m) => m.kind === 'partition' || m.kind === 'heal');
  step.marks.forEach((m) => {
    const k = partitions.indexOf(m);
    if (k === 1) return; // the second lane of a partition is the line's other end
    parts.push(mark(m, step, g, k === 0 ? partitions[1]?.lane : undefined));
  });
  const summary = [...step.changes].map(([lane, fields]) => `${lane}: ${fields[0]}${fields.length > 1 ? ` (+${fields.length - 1})` : ''}`).join('   ');
  const x = g.changesX;
  parts.push(`<text x="${x}" y="${y + 4}" font-size="11" fill="#444">${escapeXml(cut(summary, CHANGE_CHARS + 10))}</text>`);
  return `<g class="step" data-step="${step.index}">${parts.join('')}</g>`;
}

/** Under the last row: which property the last state (or the lasso) violates. */
function violationNote(diagram: Diagram, g: Geometry): string {
  const last = diagram.steps.length;
  const text = diagram.loopStart === undefined ? `${diagram.violated} is violated in state ${last}` : `${diagram.violated} is violated by this behaviour (the cycle never ends)`;
  return `<g class="violation" data-violated="${escapeXml(diagram.violated!)}"><text x="${TEXT_X}" y="${g.rowY(last + 1) + 4}" font-size="13" font-weight="bold" fill="#c00">✗ ${escapeXml(text)}</text></g>`;
}

/** The row of the initial state: its label (the lanes' headers hold each node whole, on hover). */
function initRow(g: Geometry): string {
  return `<text x="${TEXT_X}" y="${g.rowY(0) + 4}" font-size="12"><tspan fill="#888">0</tspan> Init (hover a lane's name for its node)</text>`;
}
