// `npm run conformance -- validate-recording <dir> [--hidden K] [--out FILE] [--json]`:
// merge the member-<myid>.jsonl files an ensemble wrote (ZKSPEC_PEER_TRACE_DIR)
// into one spec/zab recording (ensemble.ts) and judge it with the validator.
// Exit 0 accepted, 1 rejected or undecided, 2 unreadable files or bad usage.
// --out writes the merged recording as an ITF trace, which `validate FILE`
// judges the same way. --stop-before REGEX judges only the steps before the
// first whose label matches (ensemble.ts, RecordingOptions.stopBefore, says
// what for).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ACTION_TAKEN, serializeTrace } from '../trace.ts';
import { validateRecordingDir } from './ensemble.ts';

export const VALIDATE_RECORDING_USAGE = '       conformance validate-recording <dir> [--hidden K] [--stop-before REGEX] [--out FILE] [--json]';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export function validateRecordingCommand(args: readonly string[], io: CommandIo): number {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { hidden: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'stop-before': { type: 'string' } },
  });
  const dir = positionals[0];
  const hidden = values.hidden === undefined ? 0 : Number(values.hidden);
  if (dir === undefined || positionals.length > 1 || !Number.isInteger(hidden) || hidden < 0) {
    io.err(`usage:\n${VALIDATE_RECORDING_USAGE}`);
    return 2;
  }
  let stopBefore: RegExp | undefined;
  try {
    stopBefore = values['stop-before'] === undefined ? undefined : new RegExp(values['stop-before']);
  } catch (error) {
    io.err(`--stop-before: ${(error as Error).message}\nusage:\n${VALIDATE_RECORDING_USAGE}`);
    return 2;
  }
  const judged = validateRecordingDir(dir, { hiddenStepsMax: hidden, ...(stopBefore === undefined ? {} : { stopBefore }) });
  if (!judged.ok) {
    io.err(judged.error);
    return 2;
  }
  const { result, trace } = judged;
  if (values.out !== undefined) writeFileSync(values.out, serializeTrace(trace));
  const v = result.verdict;
  const n = result.notes;
  io.out(
    `${result.steps} recorded steps from ${n.lines} lines: ${n.elections} elections, ${n.crashes} crashes, ${n.timeouts} lost connections, ${n.transactions} transactions; ` +
      `${n.syncsMoved} fsync bursts joined and ${n.newLeadersCoalesced} NEWLEADER fsyncs put in spec terms, ${n.syncsLostAtKill} fsync reports lost with a kill added; ${Math.round(result.elapsedMs)} ms`,
  );
  if (result.stoppedAt !== undefined) io.out(`judged the ${result.stoppedAt - 1} steps before step ${result.stoppedAt}, ${trace.states[result.stoppedAt]![ACTION_TAKEN]} (--stop-before)`);
  for (const line of n.stray) io.out(`stray line: ${line}`);
  for (const line of n.lostLines) io.out(`lost lines: ${line}`);
  if (values.json === true) {
    const stopped = result.stoppedAt === undefined ? {} : { stoppedAt: result.stoppedAt };
    io.out(JSON.stringify({ verdict: v.verdict, ...('step' in v ? { step: v.step } : {}), ...('action' in v ? { action: v.action } : {}), steps: result.steps, ...stopped, notes: n }));
  }
  switch (v.verdict) {
    case 'accepted':
      io.out(`accepted: ${v.steps} recorded steps, ${v.hiddenSteps} hidden spec steps supplied (K = ${hidden})`);
      return 0;
    case 'rejected':
      io.out(v.report);
      if (n.lostLines.length > 0) io.out('(a member SIGKILLed under load lost its last lines, see above: a rejection after them may be that, not the protocol)');
      else if (hidden === 0) io.out('(K = 0: --hidden 2 lets the validator supply a step the recording lacks)');
      return 1;
    case 'undecided':
      io.out(`undecided at step ${v.step}: ${v.reason}`);
      return 1;
    case 'invalid':
      io.err(`${dir}: ${v.error}`);
      return 2;
  }
}
