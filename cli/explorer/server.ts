// The explorer's HTTP server (node:http, 127.0.0.1 only): the page, and a
// JSON API over the models of the registry. Every request carries what it
// needs (the model's configuration and the path of the state, state-path.ts),
// so the server keeps nothing per reviewer and nothing that grows with use
// but its small cache of built models (model-config.ts).
//
//   GET  /                 the page (page.ts), self-contained
//   GET  /api/specs        the registry (bounds, presets, mutants), the model
//                          the command line chose, the trace it loaded (--trace)
//   POST /api/state        {model, path} -> the state at path (StateAtPath)
//   GET  /api/traces       the trace files in the traces directory (./traces,
//                          where `npm run check` writes counterexamples)
//   POST /api/trace        {file: NAME} (from that directory) or {document: ...}
//                          (a file's contents) -> the trace re-executed (trace-replay.ts)
//
// Input is validated with zod; bad input is answered 400 with a message
// (404 unknown path, 405 wrong method, 413 body too large, 403 a Host that is
// not this loopback address: a page elsewhere must not read the API through a
// rebound DNS name). A model that throws is answered 422 with its message,
// since a spec assertion firing is a finding to show, not a server error. No
// request can crash the server: the handler's last resort answers 500.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { SpecDefinition } from '../../model-check/model.ts';
import { ModelCache, type ModelConfig, modelConfigSchema, resolveConfig } from './model-config.ts';
import { explorerPage } from './page.ts';
import { CHOICES_MAX, PATH_STEPS_MAX, stateAtPath } from './state-path.ts';
import { replayTrace } from './trace-replay.ts';

/** A request body larger than this is refused: a long Zab counterexample with every state whole is a few MiB. */
export const BODY_BYTES_MAX = 32 * 1024 * 1024;
/** Trace files listed at most. */
const TRACE_FILES_MAX = 500;
/** A trace file read from the traces directory larger than this is refused, as a body would be. */
const TRACE_FILE_BYTES_MAX = BODY_BYTES_MAX;

export interface ExplorerOptions {
  readonly registry: readonly SpecDefinition[];
  /** The model the page opens with (the command line's spec, preset, bounds and mutant). */
  readonly initial: ModelConfig;
  /** A trace file's document to open with (--trace), already read. */
  readonly trace?: unknown;
  /** Where the page lists trace files from (default ./traces, as the checker writes them). */
  readonly tracesDirectory: string;
  /** The largest request body accepted (default BODY_BYTES_MAX). */
  readonly bodyBytesMax?: number;
}

const stateRequest = z
  .object({
    model: modelConfigSchema,
    path: z.array(z.number().int().nonnegative().max(1_000_000)).max(PATH_STEPS_MAX + 1),
  })
  .strict();
const TRACE_FILE_NAME = /^[A-Za-z0-9_.-]{1,200}\.json$/;
const traceRequest = z.union([
  z.object({ file: z.string().regex(TRACE_FILE_NAME, 'file must be a trace file name in the traces directory (letters, digits, _ . -, ending .json)') }).strict(),
  z.object({ document: z.unknown() }).strict(),
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const issues = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new HttpError(400, issues(result.error));
  return result.data;
}

/** The body as JSON, read up to BODY_BYTES_MAX. */
async function readJson(request: IncomingMessage, bytesMax: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > bytesMax) throw new HttpError(413, `the body is larger than ${bytesMax} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function specsSummary(registry: readonly SpecDefinition[]) {
  return registry.map((spec) => ({
    name: spec.name,
    description: spec.description,
    bounds: spec.bounds.map((bound) => ({ name: bound.name, description: bound.description, default: bound.default })),
    presets: spec.presets.map((preset) => ({ name: preset.name, description: preset.description, bounds: preset.bounds })),
    mutants: spec.mutants.map((mutant) => ({ name: mutant.name, description: mutant.description })),
  }));
}

function traceFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return []; // No traces directory yet: nothing has been checked here.
  }
  return names.filter((name) => TRACE_FILE_NAME.test(name)).sort().slice(0, TRACE_FILES_MAX);
}

function readTraceFile(directory: string, name: string): unknown {
  const path = join(directory, name);
  let text: string;
  try {
    if (statSync(path).size > TRACE_FILE_BYTES_MAX) throw new HttpError(400, `${name} is larger than ${TRACE_FILE_BYTES_MAX} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `cannot read ${name} in ${directory}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `${name} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The request's answer: [status, body]. */
async function route(request: IncomingMessage, options: ExplorerOptions, cache: ModelCache, startup: Record<string, unknown>): Promise<[number, unknown] | 'page'> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const expect = (allowed: string) => {
    if (method !== allowed) throw new HttpError(405, `${url.pathname} takes ${allowed}, not ${method}`);
  };
  switch (url.pathname) {
    case '/':
      expect('GET');
      return 'page';
    case '/api/specs':
      expect('GET');
      return [200, { specs: specsSummary(options.registry), ...startup, limits: { pathSteps: PATH_STEPS_MAX, choices: CHOICES_MAX } }];
    case '/api/state': {
      expect('POST');
      const body = parse(stateRequest, await readJson(request, options.bodyBytesMax ?? BODY_BYTES_MAX));
      const loaded = cache.load(body.model);
      if (!loaded.ok) throw new HttpError(400, loaded.error);
      const state = stateAtPath(loaded.value, body.path);
      if (!state.ok) throw new HttpError(state.error.kind === 'model-threw' ? 422 : 400, state.error.message);
      return [200, state.value];
    }
    case '/api/traces':
      expect('GET');
      return [200, { directory: options.tracesDirectory, files: traceFiles(options.tracesDirectory) }];
    case '/api/trace': {
      expect('POST');
      const body = parse(traceRequest, await readJson(request, options.bodyBytesMax ?? BODY_BYTES_MAX));
      const document = 'file' in body ? readTraceFile(options.tracesDirectory, body.file) : body.document;
      const replayed = replayTrace(document, cache);
      if (!replayed.ok) throw new HttpError(400, replayed.error);
      return [200, replayed.value];
    }
    default:
      throw new HttpError(404, `no such page: ${url.pathname} (the API: /api/specs, /api/state, /api/traces, /api/trace)`);
  }
}

/** What /api/specs adds about the start: the model and, with --trace, the trace re-executed (or why it could not be). */
function startupInfo(options: ExplorerOptions, cache: ModelCache): Record<string, unknown> {
  const resolved = resolveConfig(options.initial, options.registry);
  const initial = resolved.ok ? resolved.value.config : null;
  if (options.trace === undefined) return { initial, trace: null };
  const replayed = replayTrace(options.trace, cache);
  return replayed.ok ? { initial: replayed.value.model, trace: replayed.value } : { initial, trace: null, traceError: replayed.error };
}

/** The server (not listening yet). */
export function explorerServer(options: ExplorerOptions): Server {
  const cache = new ModelCache(options.registry);
  const startup = startupInfo(options, cache);
  const page = explorerPage();
  const server = createServer((request, response) => {
    const local = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(request.headers.host ?? '');
    const answer = local ? route(request, options, cache, startup) : Promise.reject(new HttpError(403, `Host ${request.headers.host ?? '(none)'} is not this loopback address`));
    answer.then(
      (result) => {
        if (result === 'page') {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.contentSecurityPolicy, 'cache-control': 'no-store' });
          response.end(page.html);
        } else {
          send(response, result[0], result[1]);
        }
      },
      (error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const text = error instanceof Error ? error.message : String(error);
        if (status === 500) process.stderr.write(`explorer: ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? text) : text}\n`);
        if (response.headersSent) response.destroy();
        else send(response, status, { error: text });
        // The rest of a refused body is not read: the connection closes after the answer.
        if (status === 413) response.on('finish', () => request.destroy());
      },
    );
  });
  // A request that never finishes sending does not hold a connection forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  return server;
}

/** Listens on 127.0.0.1:port (0: a free port) and resolves to the page's address. */
export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? `http://127.0.0.1:${address.port}/` : `http://127.0.0.1:${port}/`);
    });
  });
}
