// From a timeline to the files a reviewer opens: the diagram through its spec's
// picture description, then the SVG, the HTML page and (through headless
// Chromium, where it is installed) a PNG of the SVG at its natural size.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromiumPath, chromiumPresent, screenshot } from '../lib/chromium.ts';
import { buildDiagram, type Diagram } from './diagram.ts';
import { renderHtml } from './html.ts';
import { PICTURED_SPECS, pictureOf } from './spec-pictures.ts';
import { renderSvg } from './svg.ts';
import type { Timeline } from './timeline.ts';

export type DiagramResult = { readonly ok: true; readonly diagram: Diagram; readonly svg: string } | { readonly ok: false; readonly error: string };

export function diagramOf(timeline: Timeline): DiagramResult {
  const picture = pictureOf(timeline.spec, timeline.kind);
  if (picture === undefined) {
    const what = timeline.kind === 'projection' ? 'conformance projections of' : 'states of';
    return { ok: false, error: `no picture description for the ${what} spec ${timeline.spec} (view/spec-pictures.ts knows ${PICTURED_SPECS.join(', ')})` };
  }
  const diagram = buildDiagram(timeline, picture);
  return { ok: true, diagram, svg: renderSvg(diagram) };
}

export interface Outputs {
  readonly html?: string;
  readonly svg?: string;
  readonly png?: string;
  /** The command that regenerates the picture, printed on the HTML page. */
  readonly regenerate?: string;
}

/** Writes the outputs asked for; the lines to print, and an error when the PNG could not be made. */
export async function writeOutputs(rendered: { diagram: Diagram; svg: string }, outputs: Outputs): Promise<{ written: string[]; error?: string }> {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  };
  if (outputs.svg !== undefined) write(outputs.svg, rendered.svg);
  if (outputs.html !== undefined) write(outputs.html, renderHtml(rendered.diagram, rendered.svg, outputs.regenerate));
  if (outputs.png === undefined) return { written };
  if (!chromiumPresent()) {
    return { written, error: `--png needs headless Chromium, and ${chromiumPath()} is not there: install Debian's chromium (apt-get install chromium) or set ZKSPEC_CHROMIUM to its path${written.length > 0 ? '; the other outputs were written' : ''}` };
  }
  // Chromium screenshots a file: without --svg, a temporary SVG beside the PNG, removed afterwards.
  const svgFile = outputs.svg ?? `${outputs.png}.svg`;
  if (outputs.svg === undefined) write(svgFile, rendered.svg);
  const size = /width="(\d+)" height="(\d+)"/.exec(rendered.svg);
  mkdirSync(dirname(outputs.png), { recursive: true });
  const run = await screenshot(svgFile, outputs.png, Number(size?.[1] ?? 1200), Number(size?.[2] ?? 800));
  if (outputs.svg === undefined) {
    rmSync(svgFile, { force: true });
    written.pop();
  }
  if (run.timedOut || run.code !== 0) return { written, error: `chromium could not write ${outputs.png}${run.timedOut ? ' (timed out)' : ` (exit ${run.code})`}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  written.push(outputs.png);
  return { written };
}
