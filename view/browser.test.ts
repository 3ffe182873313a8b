// The HTML page opened in headless Chromium (Debian's chromium; .ci/run
// installs it and sets ZKSPEC_CHROMIUM_REQUIRED=1): its script ran to the end
// (the body carries data-view-ready with the number of step rows) and reported
// no error (window.onerror writes into #script-errors). Where Chromium is not
// installed and not required, the test is skipped with the binary it lacks in
// its name; ZKSPEC_CHROMIUM names another binary.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromiumPath, chromiumPresent, chromiumRequired, dumpDom } from '../lib/chromium.ts';
import { readTimeline } from './read-trace.ts';
import { diagramOf, writeOutputs } from './render.ts';

const present = chromiumPresent();

describe('the HTML page in headless Chromium', () => {
  const name = present ? '' : ` (needs headless Chromium at ${chromiumPath()}: apt-get install chromium, or set ZKSPEC_CHROMIUM)`;
  it.skipIf(!present && !chromiumRequired())(`renders the diagram and runs its script without an error${name}`, { timeout: 60_000 }, async () => {
    expect(present, `${chromiumPath()} is missing and ZKSPEC_CHROMIUM_REQUIRED=1: apt-get install chromium`).toBe(true);
    const read = readTimeline(fileURLToPath(new URL('../conformance/scenarios/zab/ZOOKEEPER-3911.json', import.meta.url)), { validate: true });
    if (!read.ok) throw new Error(read.error);
    const rendered = diagramOf(read.timeline);
    if (!rendered.ok) throw new Error(rendered.error);
    const html = join(mkdtempSync(join(tmpdir(), 'zkspec-browser-')), 'page.html');
    await writeOutputs(rendered, { html });
    const run = await dumpDom(html, 45_000);
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`data-view-ready="${read.timeline.steps.length}"`);
    expect(run.stdout).toMatch(/<div id="script-errors"><\/div>/);
    // The inline SVG is part of the document Chromium parsed: its lanes and the highlighted step.
    expect(run.stdout.match(/class="lane"/g)).toHaveLength(3);
    expect(run.stdout).toContain(`data-highlight-step="${read.timeline.highlight!.step}"`);
  });
});
