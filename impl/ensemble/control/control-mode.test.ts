// Test-control mode is off unless asked for, and a half-set or misspelt
// environment stops the member instead of running it half-controlled.

import { describe, expect, it } from 'vitest';
import { controlModeFromEnv } from './control-mode.ts';

describe('controlModeFromEnv', () => {
  it('is off without ZKSPEC_TEST_CONTROL, and with it set to 0 or empty', () => {
    expect(controlModeFromEnv({})).toEqual({ ok: true, value: undefined });
    expect(controlModeFromEnv({ ZKSPEC_TEST_CONTROL: '0' })).toEqual({ ok: true, value: undefined });
    expect(controlModeFromEnv({ ZKSPEC_TEST_CONTROL: '' })).toEqual({ ok: true, value: undefined });
  });

  it('needs a control port, and takes the known bugs by name', () => {
    expect(controlModeFromEnv({ ZKSPEC_TEST_CONTROL: '1', ZKSPEC_TEST_CONTROL_PORT: '4321' })).toEqual({ ok: true, value: { port: 4321, bugs: new Set() } });
    expect(controlModeFromEnv({ ZKSPEC_TEST_CONTROL: '1', ZKSPEC_TEST_CONTROL_PORT: '4321', ZKSPEC_TEST_BUGS: 'ZOOKEEPER-3911, ZOOKEEPER-4646' })).toEqual({
      ok: true,
      value: { port: 4321, bugs: new Set(['ZOOKEEPER-3911', 'ZOOKEEPER-4646']) },
    });
  });

  it.each([
    [{ ZKSPEC_TEST_CONTROL: '1' }, /needs ZKSPEC_TEST_CONTROL_PORT/],
    [{ ZKSPEC_TEST_CONTROL: '1', ZKSPEC_TEST_CONTROL_PORT: '70000' }, /needs ZKSPEC_TEST_CONTROL_PORT/],
    [{ ZKSPEC_TEST_CONTROL: 'yes', ZKSPEC_TEST_CONTROL_PORT: '4321' }, /expected 1 or unset/],
    [{ ZKSPEC_TEST_CONTROL: '1', ZKSPEC_TEST_CONTROL_PORT: '4321', ZKSPEC_TEST_BUGS: 'ZOOKEEPER-1' }, /unknown bug ZOOKEEPER-1/],
    [{ ZKSPEC_TEST_BUGS: 'ZOOKEEPER-3911' }, /only honoured with ZKSPEC_TEST_CONTROL=1/],
  ])('refuses %o', (env, message) => {
    const mode = controlModeFromEnv(env);
    expect(mode.ok).toBe(false);
    expect(mode.ok ? '' : mode.error).toMatch(message);
  });
});
