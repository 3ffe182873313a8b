// log_level on the command alone, with a real logger whose lines are captured
// (over HTTP on the built server: impl/standalone/log-level.test.ts).

import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import { commandTable, runCommand, type AdminServerSources } from './admin-commands.ts';
import { logLevelCommand } from './log-level-command.ts';

describe('the log_level admin command', () => {
  it('answers the threshold, sets a valid one, refuses an unknown one, and logs the change', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const table = commandTable([logLevelCommand(log)]);
    // serverRequired is false: runCommand never reads the server's sources for this command.
    const sources = {} as AdminServerSources;
    const ask = (args: Record<string, string> = {}) => runCommand(table, 'log_level', sources, new Map(Object.entries(args)));
    expect(ask()).toEqual({ level: 'info', command: 'log_level', error: null });
    expect(ask({ level: 'debug' })).toEqual({ level: 'debug', previous: 'info', command: 'log_level', error: null });
    expect(log.level()).toBe('debug');
    expect(ask({ level: 'loud' })).toEqual({ level: 'debug', command: 'log_level', error: 'invalid level "loud": expected one of trace, debug, info, warn, error, fatal' });
    expect(log.level()).toBe('debug');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', event: 'log-level-changed', from: 'info', to: 'debug' })]);
  });

});
