// The explorer's page: one HTML document with its style and script inline
// (no CDN, no file beside it, nothing fetched but the API), so it works with
// no network and a Content-Security-Policy can allow exactly its own script
// and style by their hashes and nothing else.
//
// The script is plain browser JavaScript kept in a string (the page has no
// build step of its own); it builds every element with textContent, never
// innerHTML, because states and trace files are data a reviewer loads from
// anywhere. `?script=STEPS` makes the page take a scripted sequence through
// its own buttons (numbers: a choice's index, `back`, `trace:FILE`, `tracestep:K`,
// `hidden`) and logs where each step led, which is how the headless browser
// test drives it (explorer-browser.test.ts).

import { createHash } from 'node:crypto';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { background: #24323f; color: #fff; padding: 8px 14px; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
header select, header button, header input { font: inherit; }
main { display: grid; grid-template-columns: minmax(280px, 1fr) 2fr; gap: 14px; padding: 12px 14px; }
section { margin-bottom: 14px; }
h2 { font-size: 14px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
#error { color: #a00; white-space: pre-wrap; padding: 0 14px; }
#error:empty, #script-errors:empty { display: none; }
#script-errors { color: #fff; background: #a00; padding: 4px 14px; white-space: pre-wrap; }
.crumbs { display: flex; flex-wrap: wrap; gap: 4px; }
.crumbs button, .choices button, .trace button { font: 12px ui-monospace, monospace; border: 1px solid #bbb; background: #f6f6f6; border-radius: 3px; padding: 2px 6px; cursor: pointer; text-align: left; }
.crumbs button.current { background: #24323f; color: #fff; }
.choices { display: flex; flex-direction: column; gap: 3px; }
.choices button[disabled] { color: #999; cursor: not-allowed; }
.choices .note, .props .note { color: #777; font-size: 12px; }
table.props { border-collapse: collapse; width: 100%; }
table.props td { border-bottom: 1px solid #eee; padding: 2px 6px; vertical-align: top; }
.verdict-holds, .verdict-reached { color: #176b2c; }
.verdict-violated, .verdict-error { color: #fff; background: #b00; font-weight: bold; }
.verdict-not-here, .verdict-not-judged-per-state { color: #777; }
.state { font: 12px/1.5 ui-monospace, monospace; }
.state details { margin-left: 14px; }
.state .line { margin-left: 14px; white-space: pre-wrap; word-break: break-all; }
.state summary { cursor: pointer; }
.changed { background: #fff1a8; }
.hidden-field > summary { color: #888; font-style: italic; }
.changes { font: 12px ui-monospace, monospace; white-space: pre-wrap; }
.trace .matched { border-color: #176b2c; }
.trace .unmatched { color: #999; }
.trace .current { background: #24323f; color: #fff; }
.mismatch { color: #a00; white-space: pre-wrap; }
.deadlock { color: #a00; }
`;

const SCRIPT = String.raw`
'use strict';
var api = { specs: null, model: null, path: [], current: null, trace: null, showHidden: false };
var $ = function (id) { return document.getElementById(id); };
function el(tag, attrs) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === 'text') node.textContent = attrs[k];
    else if (k === 'class') node.className = attrs[k];
    else if (k === 'onclick') node.addEventListener('click', attrs[k]);
    else if (attrs[k] === true) node.setAttribute(k, '');
    else if (attrs[k] !== false && attrs[k] !== undefined) node.setAttribute(k, String(attrs[k]));
  });
  for (var i = 2; i < arguments.length; i++) if (arguments[i]) node.appendChild(arguments[i]);
  return node;
}
function reportScriptError(text) { $('script-errors').textContent += text + '\n'; }
window.addEventListener('error', function (e) { reportScriptError('script error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) { reportScriptError('unhandled: ' + (e.reason && e.reason.message || e.reason)); });

function call(method, url, body) {
  var init = { method: method, headers: {} };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  return fetch(url, init).then(function (r) {
    return r.json().then(function (json) {
      if (!r.ok) throw new Error(json.error || ('HTTP ' + r.status));
      return json;
    });
  });
}
function showError(e) { $('error').textContent = e ? String(e.message || e) : ''; }

// --- The model: spec, preset, mutant, bounds ---
function specNamed(name) { return api.specs.specs.filter(function (s) { return s.name === name; })[0]; }
function fillModelControls() {
  var m = api.model, spec = specNamed(m.spec);
  var specSel = $('spec'), presetSel = $('preset'), mutantSel = $('mutant');
  specSel.textContent = ''; presetSel.textContent = ''; mutantSel.textContent = '';
  api.specs.specs.forEach(function (s) { specSel.appendChild(el('option', { value: s.name, text: s.name, selected: s.name === m.spec })); });
  spec.presets.forEach(function (p) { presetSel.appendChild(el('option', { value: p.name, text: p.name, title: p.description, selected: p.name === m.preset })); });
  mutantSel.appendChild(el('option', { value: '', text: '(correct spec)' }));
  spec.mutants.forEach(function (x) { mutantSel.appendChild(el('option', { value: x.name, text: x.name, title: x.description, selected: x.name === m.mutant })); });
  $('bounds').value = Object.keys(m.bounds).map(function (k) { return '--' + k + ' ' + m.bounds[k]; }).join(' ');
}
function parseBounds(text) {
  var out = {}, words = text.trim().split(/\s+/).filter(Boolean);
  for (var i = 0; i < words.length; i += 2) {
    var name = words[i].replace(/^--/, ''), value = words[i + 1];
    out[name] = value === 'true' ? true : value === 'false' ? false : Number(value);
  }
  return out;
}
function applyModel(fromControls) {
  var spec = $('spec').value;
  var model = { spec: spec, preset: $('preset').value, mutant: $('mutant').value || null };
  if (spec !== api.model.spec) model = { spec: spec };
  else if (fromControls === 'bounds') model.bounds = parseBounds($('bounds').value);
  else if (fromControls === 'mutant') model.bounds = api.model.bounds; // the same preset: keep the bounds in force
  api.trace = null;
  return go(model, []);
}

// --- Navigation ---
function go(model, path) {
  return call('POST', '/api/state', { model: model, path: path }).then(function (state) {
    showError(null);
    api.model = state.model; api.path = state.path; api.current = state;
    fillModelControls();
    render();
  }, showError);
}
function take(index) { return go(api.model, api.path.concat([index])); }
function back() { return api.path.length === 0 ? Promise.resolve() : go(api.model, api.path.slice(0, -1)); }

function render() {
  var s = api.current;
  var crumbs = $('crumbs'); crumbs.textContent = '';
  crumbs.appendChild(el('button', { text: '(before Init)', class: s.path.length === 0 ? 'current' : '', onclick: function () { go(api.model, []); } }));
  s.labels.forEach(function (label, i) {
    crumbs.appendChild(el('button', { text: i + ': ' + label, class: i === s.labels.length - 1 ? 'current' : '', 'data-depth': i,
      onclick: function () { go(api.model, s.path.slice(0, i + 1)); } }));
  });
  $('back').disabled = s.path.length === 0;
  renderChoices(s); renderProperties(s); renderChanges(s); renderState(s); renderTrace();
  document.body.setAttribute('data-at', s.path.join('.'));
  // The address names the state (the API is stateless), so a reload or a link pasted into a review opens it again.
  history.replaceState(null, '', location.pathname + location.search + '#' + encodeURIComponent(JSON.stringify({ model: api.model, path: api.path })));
}
function renderChoices(s) {
  var box = $('choices'); box.textContent = '';
  s.choices.forEach(function (c) {
    var note = c.status === 'outside' ? ' (outside the bounds: the checker discards it)' : c.status === 'error' ? ' (the model threw: ' + c.note + ')' : '';
    box.appendChild(el('button', { text: c.label + note, 'data-index': c.index, disabled: c.status !== 'enabled',
      onclick: function () { take(c.index); } }));
  });
  if (s.choicesCut) box.appendChild(el('div', { class: 'note', text: 'more choices than the explorer lists; narrow the bounds' }));
  $('deadlock').textContent = s.deadlockNote;
}
function renderProperties(s) {
  var body = $('properties'); body.textContent = '';
  if (s.state === null) body.appendChild(el('tr', {}, el('td', { text: 'Choose an initial state.' })));
  s.properties.forEach(function (p) {
    body.appendChild(el('tr', { title: p.description, 'data-property': p.name, 'data-verdict': p.verdict },
      el('td', { text: p.name }), el('td', { text: p.kind }),
      el('td', { class: 'verdict-' + p.verdict.replace(/ /g, '-'), text: p.verdict }),
      el('td', { class: 'note', text: p.note || '' })));
  });
}
function show(value) { return value === undefined ? '(absent)' : JSON.stringify(value); }
function isHiddenPath(s, path) { return s.hiddenPatterns.some(function (p) { return new RegExp(p).test(path); }); }
function renderChanges(s) {
  var box = $('changes');
  var last = s.labels.length > 1 ? s.labels[s.labels.length - 1] : null;
  var shown = s.changes.filter(function (c) { return api.showHidden || !isHiddenPath(s, c.path); });
  var hiddenCount = s.changes.length - shown.length;
  box.textContent = last === null ? '' : s.changes.length === 0 ? last + ' changed nothing' :
    last + ' changed:\n' + shown.map(function (c) { return '  ' + c.path + ': ' + show(c.before) + ' -> ' + show(c.after); }).join('\n') +
    (hiddenCount === 0 ? '' : '\n  (and ' + hiddenCount + ' hidden fields; "show hidden fields" lists them)');
}

// --- The state, as a tree: the last step's fields highlighted, hidden fields collapsed ---
function related(a, b) { return a === b || b.indexOf(a + '.') === 0 || b.indexOf(a + '[') === 0; }
function renderState(s) {
  var box = $('state'); box.textContent = '';
  if (s.state === null) return;
  var hidden = s.hiddenPatterns.map(function (p) { return new RegExp(p); });
  var changed = s.changes.map(function (c) { return c.path; });
  var ctx = { hidden: hidden, changed: changed };
  var root = s.state;
  if (root !== null && typeof root === 'object' && !Array.isArray(root)) Object.keys(root).forEach(function (k) { box.appendChild(node(root[k], k, k, ctx)); });
  else box.appendChild(node(root, '(state)', '', ctx));
  $('hidden-note').textContent = s.hiddenFields.length === 0 ? '' : ' (collapsed: ' + s.hiddenFields.join(', ') + ')';
}
function node(value, key, path, ctx) {
  var isChanged = ctx.changed.some(function (c) { return related(path, c) || related(c, path); });
  var isHidden = ctx.hidden.some(function (re) { return re.test(path); });
  var json = JSON.stringify(value);
  var composite = value !== null && typeof value === 'object' && Object.keys(value).length > 0;
  if (!isHidden && (!composite || json.length <= 100)) {
    return el('div', { class: 'line' + (isChanged ? ' changed' : ''), 'data-path': path, text: key + ': ' + json });
  }
  var details = el('details', { open: !isHidden || api.showHidden, class: isHidden ? 'hidden-field' : '', 'data-path': path });
  var size = Array.isArray(value) ? value.length + ' items' : composite ? Object.keys(value).length + ' fields' : json;
  details.appendChild(el('summary', { class: isChanged ? 'changed' : '', text: key + ' (' + size + ')' + (isHidden ? ', hidden unless asked' : '') }));
  if (!composite) return details;
  Object.keys(value).forEach(function (k) {
    var childPath = Array.isArray(value) ? path + '[' + k + ']' : path + '.' + k;
    details.appendChild(node(value[k], Array.isArray(value) ? '[' + k + ']' : k, childPath, ctx));
  });
  return details;
}

// --- Traces: a counterexample re-executed through the model ---
function loadTrace(request) {
  return call('POST', '/api/trace', request).then(function (t) { return openTrace(t); }, showError);
}
function openTrace(t) {
  api.trace = t;
  var last = t.paths.length === 0 ? [] : t.paths[t.paths.length - 1];
  return go(t.model, last);
}
function renderTrace() {
  var box = $('trace'); box.textContent = '';
  var t = api.trace;
  if (!t) return;
  box.appendChild(el('div', { text: (t.property ? 'counterexample to ' + t.property : 'trace') + ' (' + t.format + ', ' + t.model.spec + ' ' + t.model.preset + (t.model.mutant ? ', mutant ' + t.model.mutant : '') + ')' }));
  t.labels.forEach(function (label, k) {
    var path = t.paths[k];
    var current = path && path.length === api.path.length && path.every(function (x, i) { return x === api.path[i]; });
    var cls = (path ? 'matched' : 'unmatched') + (current ? ' current' : '');
    var loopMark = t.loop === k ? ' (the cycle starts here)' : '';
    box.appendChild(el('button', { text: k + ': ' + label + loopMark, class: cls, disabled: !path, 'data-step': k,
      onclick: function () { go(t.model, path); } }));
  });
  if (t.mismatch) box.appendChild(el('div', { class: 'mismatch', text: 'does not match the spec at step ' + t.mismatch.step + ': ' + t.mismatch.reason }));
}
function listTraces() {
  return call('GET', '/api/traces').then(function (r) {
    var box = $('trace-files'); box.textContent = '';
    if (r.files.length === 0) box.appendChild(el('span', { class: 'note', text: 'no trace files in ' + r.directory }));
    r.files.forEach(function (name) { box.appendChild(el('button', { text: name, 'data-file': name, onclick: function () { loadTrace({ file: name }); } })); });
  }, showError);
}
function uploadTrace(file) {
  return file.text().then(function (text) {
    var document_;
    try { document_ = JSON.parse(text); } catch (e) { showError(file.name + ' is not JSON: ' + e.message); return; }
    return loadTrace({ document: document_ });
  });
}

// --- A scripted sequence (?script=0,3,back,trace:NAME,tracestep:2,hidden) through the page's own buttons ---
function click(selector) {
  var target = document.querySelector(selector);
  if (!target) throw new Error('script: nothing matches ' + selector);
  target.click();
}
function runScript(steps) {
  var log = $('script-log');
  var next = function (i) {
    if (i >= steps.length) { document.body.setAttribute('data-script', 'done'); return; }
    var step = steps[i];
    var before = api.current;
    if (/^\d+$/.test(step)) click('#choices button[data-index="' + step + '"]');
    else if (step === 'back') click('#back');
    else if (step === 'hidden') click('#show-hidden');
    else if (step.indexOf('tracestep:') === 0) click('#trace button[data-step="' + step.slice(10) + '"]');
    else if (step.indexOf('trace:') === 0) loadTrace({ file: step.slice(6) });
    else throw new Error('script: unknown step ' + step);
    waitFor(function () { return api.current !== before || $('error').textContent !== '' || step === 'hidden'; }, function () {
      log.textContent += step + ' -> ' + (api.path.length === 0 ? '(root)' : api.path.join('.')) + '\n';
      next(i + 1);
    });
  };
  next(0);
}
function waitFor(condition, then) {
  var tries = 0;
  var poll = function () {
    if (condition() || ++tries > 200) then();
    else setTimeout(poll, 10);
  };
  poll();
}

function stateInAddress() {
  if (location.hash.length < 2) return null;
  try {
    var linked = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    return linked && linked.model && Array.isArray(linked.path) ? linked : null;
  } catch (e) {
    return null; // Not an address this page wrote: start as if there were none.
  }
}
function start() {
  $('spec').addEventListener('change', function () { applyModel('spec'); });
  $('preset').addEventListener('change', function () { applyModel('preset'); });
  $('mutant').addEventListener('change', function () { applyModel('mutant'); });
  $('apply-bounds').addEventListener('click', function () { applyModel('bounds'); });
  $('back').addEventListener('click', back);
  $('show-hidden').addEventListener('change', function () { api.showHidden = this.checked; if (api.current) { renderState(api.current); renderChanges(api.current); } });
  $('upload').addEventListener('change', function () { if (this.files[0]) uploadTrace(this.files[0]); });
  var script = new URLSearchParams(location.search).get('script');
  call('GET', '/api/specs').then(function (specs) {
    api.specs = specs;
    api.model = specs.initial;
    if (specs.traceError) showError('--trace: ' + specs.traceError);
    var linked = stateInAddress();
    if (specs.trace) api.trace = specs.trace;
    var opened = linked ? go(linked.model, linked.path) : specs.trace ? openTrace(specs.trace) : go(specs.initial || { spec: specs.specs[0].name }, []);
    return Promise.all([opened, listTraces()]);
  }).then(function () {
    if (script) runScript(script.split(',').filter(Boolean));
  }, showError);
}
start();
`;

const BODY = `
<header>
  <h1>zkspec explorer</h1>
  <label>spec <select id="spec"></select></label>
  <label>preset <select id="preset"></select></label>
  <label>mutant <select id="mutant"></select></label>
  <label>bounds <input id="bounds" size="60"></label><button id="apply-bounds">apply</button>
</header>
<div id="script-errors"></div>
<div id="error"></div>
<main>
  <div>
    <section><h2>Path</h2><div class="crumbs" id="crumbs"></div><p><button id="back">back</button></p></section>
    <section><h2>Next steps</h2><div class="choices" id="choices"></div><p class="deadlock" id="deadlock"></p></section>
    <section><h2>Counterexample</h2>
      <div class="trace" id="trace"></div>
      <p>from the traces directory: <span class="trace" id="trace-files"></span></p>
      <p>or a file: <input type="file" id="upload" accept=".json"></p>
    </section>
  </div>
  <div>
    <section><h2>Properties at this state</h2><table class="props"><tbody id="properties"></tbody></table></section>
    <section><h2>Last step</h2><div class="changes" id="changes"></div></section>
    <section><h2>State</h2>
      <label><input type="checkbox" id="show-hidden"> show hidden fields (network bookkeeping, bound counters, ghosts)</label>
      <span class="note" id="hidden-note"></span>
      <div class="state" id="state"></div>
    </section>
  </div>
</main>
<pre id="script-log" hidden></pre>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export interface ExplorerPage {
  readonly html: string;
  /** Allows the page's own inline script and style (by hash) and requests to this server, nothing else. */
  readonly contentSecurityPolicy: string;
}

export function explorerPage(): ExplorerPage {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>zkspec explorer</title>\n<style>${STYLE}</style>\n</head><body>${BODY}<script>${SCRIPT}</script>\n</body></html>\n`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
