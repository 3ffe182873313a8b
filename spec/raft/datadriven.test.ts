// Scenarios of the Raft server reducer (step.ts) as data: every testdata/*.txt
// is a story of raft.tla actions and the effects and states they produce, run
// by lib/testing/datadriven.ts (REWRITE=1 writes the outputs back; see its
// header).
//
// The network is raft.tla's bag: a message stays in flight until a step that
// handles it emits Discard, so UpdateTerm (which only adopts the newer term) and
// the removal of a conflicting entry leave the request to be handled again, as
// in raft.tla. The commands are raft.tla's actions, with the acting server first:
//   cluster servers=3 [mutant=NAME]        raft.tla's Init (term 1, Follower, empty log)
//   set <id> [state=Leader] [term=T] [votedFor=j] [log=(term:value,...)] [commit=N]
//            [next=(..)] [match=(..)] [granted=(..)] [responded=(..)]   a server's fields, for a story's start
//   Timeout <i> | BecomeLeader <i> | AdvanceCommitIndex <i> | Restart <i> | ReadIndex <i> | AnswerRead <i>
//   RequestVote <i> <j>... | AppendEntries <i> <j>... | Heartbeat <i> <j>...
//   ClientRequest <i> value=V
//   Receive [from=] [to=] [type=MTYPE]     each matching message in flight once, in the order sent
//   stabilize                              Receive until nothing is in flight or nothing more is handled
//   status [<id>...]                       each server's line, and the messages in flight

import { describe, it } from 'vitest';
import { scenarios, type TestCase } from '../../lib/testing/datadriven.ts';
import { bareField, field, formatList, formatSet, ScenarioHarness, type Field, type ReducerProtocol } from '../../lib/testing/interaction.ts';
import { initialNode, makeEntry, step } from './step.ts';
import { NIL, type Entry, type Message, type MutantName, type RaftEffect, type RaftEvent, type RaftNode } from './types.ts';

const formatEntry = (entry: Entry) => `${entry.term}:${entry.value}`;
const formatLog = (log: readonly Entry[]) => formatList(log, formatEntry);
const formatIndexes = (values: readonly number[]) => formatList(values, String);

function formatValue(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && 'term' in value && 'value' in value) return formatEntry(value as Entry);
  return undefined;
}

/** raft.tla's record without mtype, msource and mdest (the line says them), its fields without the m. */
function formatMessage(message: Message): string {
  const fields = Object.entries(message).filter(([key, value]) => !['mtype', 'msource', 'mdest'].includes(key) && !(key === 'mlog' && (value as Entry[]).length === 0));
  const print = (value: unknown) => (Array.isArray(value) ? formatLog(value as Entry[]) : String(value));
  return [`s${message.msource}->s${message.mdest} ${message.mtype}`, ...fields.map(([key, value]) => `${key.slice(1, 2).toLowerCase()}${key.slice(2)}=${print(value)}`)].join(' ');
}

function serverFields(node: RaftNode): Field[] {
  const fields = [
    bareField('state', node.state),
    field('term', node.currentTerm),
    field('votedFor', node.votedFor, node.votedFor !== NIL),
    field('log', formatLog(node.log)),
    field('commit', node.commitIndex, node.commitIndex > 0),
  ];
  if (node.state === 'Candidate') fields.push(field('responded', formatSet(node.votesResponded)), field('granted', formatSet(node.votesGranted)));
  if (node.state === 'Leader') fields.push(field('next', formatIndexes(node.nextIndex)), field('match', formatIndexes(node.matchIndex)));
  const read = node.pendingRead;
  fields.push(field('read', read === undefined ? '-' : `#${read.seq}@${read.readIndex}${formatSet(read.acks)}`, read !== undefined));
  return fields;
}

const RAFT: ReducerProtocol<RaftNode, RaftEvent, RaftEffect> = { step, fields: serverFields, formatValue };

/** Events that take the acting server and nothing else. */
const SOLO: readonly RaftEvent['type'][] = ['Timeout', 'BecomeLeader', 'AdvanceCommitIndex', 'Restart', 'ReadIndex', 'AnswerRead'];
/** Events that take the acting server and one peer per step. */
const TO_PEER = ['RequestVote', 'AppendEntries', 'Heartbeat'] as const;

class RaftHarness extends ScenarioHarness<RaftNode, RaftEvent, RaftEffect> {
  /** raft.tla's `messages`, as a list in the order sent (a bag: several copies may be in flight). */
  private messages: Message[] = [];

  constructor() {
    super(RAFT);
  }

  protected command(tc: TestCase): boolean {
    const type = tc.command as RaftEvent['type'];
    if (SOLO.includes(type)) {
      for (const id of this.ids(tc)) this.apply(id, { type } as RaftEvent);
    } else if ((TO_PEER as readonly string[]).includes(type)) {
      const [i, ...peers] = this.ids(tc);
      for (const peer of peers) this.apply(i!, { type: type as (typeof TO_PEER)[number], peer });
    } else if (type === 'ClientRequest') {
      for (const id of this.ids(tc)) this.apply(id, { type, value: tc.int('value') });
    } else if (tc.command === 'Receive') {
      this.receiveMatching(tc);
    } else if (tc.command === 'stabilize') {
      this.stabilize();
    } else if (tc.command === 'cluster') {
      this.cluster(tc);
    } else if (tc.command === 'set') {
      for (const id of this.ids(tc)) this.set(tc, id);
    } else if (tc.command === 'status') {
      for (const id of tc.positionals().length > 0 ? this.ids(tc) : this.nodes.map((_, k) => k)) this.out.line(this.describe(id));
      for (const message of this.messages) this.out.line(`in flight: ${formatMessage(message)}`);
    } else {
      return false;
    }
    return true;
  }

  protected override format(record: { readonly type: string }): string {
    const effect = record as RaftEffect | RaftEvent;
    if (effect.type === 'Send') return `Send ${formatMessage(effect.message)}`;
    if (effect.type === 'AnswerRead' && 'entries' in effect) return `AnswerRead seq=${effect.seq} readIndex=${effect.readIndex} entries=${formatLog(effect.entries)}`;
    return super.format(record);
  }

  protected override carryOut(_id: number, effect: RaftEffect): void {
    if (effect.type === 'Send') this.messages.push(effect.message);
  }

  private cluster(tc: TestCase): void {
    const servers = tc.int('servers');
    const mutant = tc.has('mutant') ? (tc.string('mutant') as MutantName) : undefined;
    const config = { servers, history: false, mutant };
    this.nodes = Array.from({ length: servers }, (_, id) => initialNode(config, id));
    this.messages = [];
    this.nodes.forEach((_, id) => this.out.line(this.describe(id)));
  }

  private set(tc: TestCase, id: number): void {
    const node = this.node(id);
    const log = tc.strings('log', []).map((text) => {
      const [term, value] = text.split(':').map(Number);
      if (!Number.isInteger(term) || !Number.isInteger(value)) throw tc.error(`entry ${text} is not term:value`);
      return makeEntry(term!, value!);
    });
    const mask = (key: string) => tc.ints(key, []).reduce((set, k) => set | (1 << k), 0);
    this.nodes[id] = {
      ...node,
      state: tc.string('state', node.state) as RaftNode['state'],
      currentTerm: tc.int('term', node.currentTerm),
      votedFor: tc.int('votedFor', node.votedFor),
      log: tc.has('log') ? log : node.log,
      commitIndex: tc.int('commit', node.commitIndex),
      nextIndex: tc.ints('next', [...node.nextIndex]),
      matchIndex: tc.ints('match', [...node.matchIndex]),
      votesGranted: tc.has('granted') ? mask('granted') : node.votesGranted,
      votesResponded: tc.has('responded') ? mask('responded') : node.votesResponded,
    };
    this.out.line(this.describe(id));
  }

  /** Receive(m) for each matching message in flight when the command starts, in the order sent. */
  private receiveMatching(tc: TestCase): number {
    const from = tc.has('from') ? tc.int('from') : undefined;
    const to = tc.has('to') ? tc.int('to') : undefined;
    const mtype = tc.has('type') ? tc.string('type') : undefined;
    const matching = this.messages.filter((m) => (from === undefined || m.msource === from) && (to === undefined || m.mdest === to) && (mtype === undefined || m.mtype === mtype));
    let handled = 0;
    for (const message of matching) if (this.receive(message)) handled++;
    return handled;
  }

  /** Delivers one copy of `message`; true when the step changed something (it may stay in flight). */
  private receive(message: Message): boolean {
    const at = this.messages.indexOf(message);
    const before = this.node(message.mdest);
    const effects = this.apply(message.mdest, { type: 'Receive', message }, formatMessage(message));
    if (effects.some((effect) => effect.type === 'Discard')) this.messages.splice(at, 1);
    else if (effects.length > 0 || this.nodes[message.mdest] !== before) this.out.line('stays in flight', 1);
    return effects.length > 0 || this.nodes[message.mdest] !== before;
  }

  private stabilize(): void {
    for (let round = 0; this.messages.length > 0; round++) {
      if (round === 1000) throw new Error('stabilize: still busy after 1000 rounds');
      let progress = false;
      for (const message of [...this.messages]) progress = this.receive(message) || progress;
      if (!progress) return;
    }
  }
}

describe('spec/raft scenarios (testdata/*.txt)', () => {
  for (const scenario of scenarios(new URL('./testdata', import.meta.url), () => new RaftHarness().handle)) it(scenario.name, scenario.run);
});
