// The AdminServer (ZooKeeper 3.8.0's JettyAdminServer) on node:http:
// admin.serverAddress:admin.serverPort, `GET <admin.commandURL>` lists the
// commands as links, `GET <admin.commandURL>/<name>?key=value` runs one
// (admin-commands.ts) and answers its JSON with status 200, an unknown name
// included (its "error" says so), as 3.8.0's CommandServlet does. Connections
// idle for admin.idleTimeout ms are closed (the Jetty connector's idle
// timeout). Plain HTTP only: admin.forceHttps is refused at start.
//
// A port that cannot be bound is not fatal: ZooKeeper logs "Unable to start
// AdminServer" and serves its clients anyway (ZooKeeperServerMain.runFromConfig
// catches AdminServerException); `start` resolves undefined after a warn line.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commandTable, runCommand, toJson, type AdminCommand, type AdminServerSources } from './admin-commands.ts';
import type { AdminServerConfig } from '../config/zoo-cfg.ts';
import type { StructuredLogger } from '../observability/logger.ts';

export type AdminServer = {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
};

/** Starts the AdminServer; undefined (after a warn line) when its port cannot be bound. */
export async function startAdminServer(
  config: AdminServerConfig,
  sources: AdminServerSources,
  log: StructuredLogger,
  extraCommands: readonly AdminCommand[] = [],
): Promise<AdminServer | undefined> {
  const commands = commandTable(extraCommands);
  const primaryNames = [...new Set([...commands.values()].map((c) => c.names[0]!))].sort();
  const base = config.commandUrl.replace(/\/+$/, '');
  const server = createServer((request, response) => handle(request, response));
  server.setTimeout(config.idleTimeoutMs);
  server.keepAliveTimeout = config.idleTimeoutMs;

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://admin');
    if (url.pathname !== base && url.pathname !== `${base}/` && !url.pathname.startsWith(`${base}/`)) return answer(response, 404, 'text/plain', 'Not Found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'text/plain', 'HTTP method not allowed; use GET\n');
    const name = decodeURIComponent(url.pathname.slice(base.length + 1));
    if (name === '') {
      const links = primaryNames.map((c) => `<a href="${config.commandUrl}/${c}">${c}</a>\n<br/>\n`).join('');
      return answer(response, 200, 'text/html', links);
    }
    const args = new Map<string, string>();
    for (const [key, value] of url.searchParams) if (!args.has(key)) args.set(key, value);
    let body: unknown;
    try {
      body = runCommand(commands, name, sources, args);
    } catch (error) {
      // A command's own failure: logged, answered in its error field; the server goes on.
      log('error', 'admin-command-failed', { command: name, message: error instanceof Error ? error.message : String(error) });
      body = { command: name, error: `command failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    answer(response, 200, 'application/json', toJson(body));
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (thrown) {
    const code = (thrown as { code?: unknown }).code;
    log('warn', 'admin-server-not-started', {
      address: config.address,
      port: config.port,
      code: typeof code === 'string' ? code : String(thrown),
      message: `Unable to start AdminServer on ${config.address}:${config.port}; serving clients without it (the four-letter words still answer)`,
    });
    return undefined;
  }
  const port = (server.address() as AddressInfo).port;
  log('info', 'admin-server-started', { address: config.address, port, commandUrl: config.commandUrl, message: `Started AdminServer on address ${config.address}, port ${port} and command URL ${config.commandUrl}` });
  return { address: config.address, port, close: () => closeServer(server) };
}

function answer(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** Stops listening and drops idle keep-alive connections, so shutdown does not wait for them. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
