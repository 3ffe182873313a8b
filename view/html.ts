// The diagram as one self-contained HTML page: the SVG inline, the style and
// the one small script inline too, nothing fetched at view time (a reviewer
// opens it from a mail or an attachment). Below the diagram: the validator's
// explanation when a step is highlighted, and the initial state whole, one
// field per line (the lanes' headers show each node's role; the page shows
// everything). Clicking a row of the diagram shows that step's changed fields
// in the panel beside it, the same text its hover shows.
//
// The script records its own errors in the page (window.onerror writes them
// into #script-errors) and marks the body data-view-ready when it has run, so
// that view/browser.test.ts can tell from Chromium's --dump-dom that the page
// rendered without a script error.

import type { Diagram } from './diagram.ts';
import { escapeXml } from './svg.ts';

const STYLE = `
body { font-family: sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 8px; }
.layout { display: flex; gap: 16px; align-items: flex-start; }
#details { position: sticky; top: 8px; min-width: 320px; max-width: 520px; white-space: pre-wrap; font: 12px monospace; background: #f6f8fa; border: 1px solid #d0d7de; padding: 8px; }
pre { font-size: 12px; background: #f6f8fa; border: 1px solid #d0d7de; padding: 8px; overflow-x: auto; }
.highlight { border-left: 4px solid #d00; padding-left: 8px; }
g.step { cursor: pointer; }
#script-errors:empty { display: none; }
#script-errors { color: #b00; font-weight: bold; }
`;

const SCRIPT = `
window.onerror = function (message, source, line) {
  document.getElementById('script-errors').textContent += 'script error: ' + message + ' (line ' + line + ')\\n';
};
(function () {
  var details = document.getElementById('details');
  document.querySelectorAll('g.step').forEach(function (row) {
    row.addEventListener('click', function () {
      var title = row.querySelector('title');
      details.textContent = title ? title.textContent : '';
    });
  });
  document.body.setAttribute('data-view-ready', String(document.querySelectorAll('g.step').length));
})();
`;

/** The page for `diagram`, whose SVG is `svg` (renderSvg's output). */
export function renderHtml(diagram: Diagram, svg: string, regenerate?: string): string {
  const highlight = diagram.highlight === undefined ? '' : `<section class="highlight"><h2>${escapeXml(diagram.highlight.title)}</h2><pre>${escapeXml(diagram.highlight.detail)}</pre></section>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeXml(diagram.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(diagram.title)}</h1>`,
    '<div id="script-errors"></div>',
    `<p>${diagram.lanes.length} nodes, ${diagram.steps.length} steps, ${diagram.arrows.length} messages. Hover any row, dot or arrow for its fields; click a row to keep them in the panel.${regenerate === undefined ? '' : ` Regenerate: <code>${escapeXml(regenerate)}</code>.`}</p>`,
    highlight,
    `<div class="layout"><div>${svg.replace(/^<\?xml[^>]*>\s*/, '')}</div><div id="details">Click a step of the diagram to see every field it changed.</div></div>`,
    '<h2>The initial state, whole</h2>',
    `<pre>${escapeXml(diagram.initialLines.join('\n'))}</pre>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
