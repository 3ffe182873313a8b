// slowest-first.ts's table of measured file times: every file it names is a
// test file the suite runs, so a renamed or split file is not silently
// dropped to the end of the order (and the suite's wall time) unnoticed.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measuredSeconds } from './slowest-first.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe("the test order's table of slow files", () => {
  it('names only test files that exist, each with a positive time', () => {
    const entries = Object.entries(measuredSeconds);
    expect(entries.length).toBeGreaterThan(10);
    for (const [path, seconds] of entries) {
      expect(path, path).toMatch(/\.test\.ts$/);
      expect(existsSync(join(root, path)), `${path} is listed in .ci/slowest-first.ts but does not exist`).toBe(true);
      expect(seconds, path).toBeGreaterThan(0);
    }
  });
});
