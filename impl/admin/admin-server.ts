// The AdminServer (ZooKeeper 3.8.0's JettyAdminServer) on node:http:
// admin.serverAddress:admin.serverPort, `GET <admin.commandURL>` lists the
// commands as links, `GET <admin.commandURL>/<name>?key=value` runs one
// (admin-commands.ts) and answers its JSON with status 200, an unknown name
// included (its "error" says so), as 3.8.0's CommandServlet does. Connections
// idle for admin.idleTimeout ms are closed (the Jetty connector's idle
// timeout).
//
// HTTPS, as JettyAdminServer sets it up: admin.forceHttps serves TLS only (a
// plain HTTP request fails its handshake and is closed); admin.portUnification
// serves both on the one port, told apart by the first byte as the client
// port's port unification does (impl/server/secure-listener.ts, ZooKeeper's
// UnifiedConnectionFactory), counting each plaintext connection in
// insecure_admin_count. forceHttps wins when both are set. Answers over TLS
// carry Jetty's SecureRequestCustomizer header, Strict-Transport-Security with
// max-age one day and includeSubDomains. The certificate is impl/security's
// (admin-https.ts, from ssl.quorum.*).
//
// A port that cannot be bound is not fatal: ZooKeeper logs "Unable to start
// AdminServer" and serves its clients anyway (ZooKeeperServerMain.runFromConfig
// catches AdminServerException); `start` resolves undefined after a warn line.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { assert } from '../../lib/assert.ts';
import { ok } from '../../lib/result.ts';
import { PortUnification } from '../server/secure-listener.ts';
import { commandTable, runCommand, toJson, type AdminCommand, type AdminServerSources } from './admin-commands.ts';
import type { AdminServerConfig } from '../config/zoo-cfg.ts';
import type { StructuredLogger } from '../observability/logger.ts';

export type AdminServer = {
  readonly address: string;
  readonly port: number;
  /** 'http', 'https' (admin.forceHttps) or 'unified' (admin.portUnification: both). */
  readonly scheme: AdminScheme;
  close(): Promise<void>;
};

export type AdminScheme = 'http' | 'https' | 'unified';

/** HTTPS for the AdminServer: node:tls options (impl/security/admin-https.ts) and what to call for each plaintext connection port unification lets in. */
export type AdminTls = { readonly options: TlsOptions; readonly onPlaintextConnection: () => void };

/** SecureRequestCustomizer's header (JettyAdminServer: setStsMaxAge(one day), setStsIncludeSubDomains(true)). */
const strictTransportSecurity = 'max-age=86400; includeSubDomains';

/** Starts the AdminServer; undefined (after a warn line) when its port cannot be bound. */
export async function startAdminServer(
  config: AdminServerConfig,
  sources: AdminServerSources,
  log: StructuredLogger,
  extraCommands: readonly AdminCommand[] = [],
  tls?: AdminTls,
): Promise<AdminServer | undefined> {
  const commands = commandTable(extraCommands);
  const primaryNames = [...new Set([...commands.values()].map((c) => c.names[0]!))].sort();
  const base = config.commandUrl.replace(/\/+$/, '');
  const wantsTls = config.forceHttps || config.portUnification;
  // Fail closed: HTTPS asked for is never served as plain HTTP.
  assert(!wantsTls || tls !== undefined, 'admin.forceHttps or admin.portUnification without TLS options');
  const scheme: AdminScheme = !wantsTls ? 'http' : config.forceHttps ? 'https' : 'unified';
  const server = scheme === 'https' ? createHttpsServer(tls!.options, (request, response) => handle(request, response)) : createServer((request, response) => handle(request, response));
  server.setTimeout(config.idleTimeoutMs);
  server.keepAliveTimeout = config.idleTimeoutMs;
  // A client that fails the handshake (plain HTTP to an HTTPS-only port, say) is closed, as Jetty's SslConnection does.
  server.on('tlsClientError', (error: Error, socket: Socket) => {
    log('debug', 'admin-tls-handshake-failed', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, error: error.message });
    socket.destroy();
  });
  const unified = scheme === 'unified' ? unifiedListener(server, tls!, config.idleTimeoutMs, log) : undefined;
  const listener: Server | NetServer = unified?.listener ?? server;

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://admin');
    if (url.pathname !== base && url.pathname !== `${base}/` && !url.pathname.startsWith(`${base}/`)) return answer(response, 404, 'text/plain', 'Not Found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'text/plain', 'HTTP method not allowed; use GET\n');
    if ((request.socket as { encrypted?: boolean }).encrypted === true) response.setHeader('Strict-Transport-Security', strictTransportSecurity);
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
      listener.once('error', reject);
      listener.listen(config.port, config.address, () => {
        listener.off('error', reject);
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
  const port = (listener.address() as AddressInfo).port;
  log('info', 'admin-server-started', { address: config.address, port, scheme, commandUrl: config.commandUrl, message: `Started AdminServer on address ${config.address}, port ${port} and command URL ${config.commandUrl}` });
  return {
    address: config.address,
    port,
    scheme,
    close: async () => {
      if (unified !== undefined) {
        // The connections it handed over are not the HTTP server's own: drop them here.
        for (const socket of unified.sockets) socket.destroy();
        await new Promise<void>((resolve) => unified.listener.close(() => resolve()));
      }
      await closeServer(server);
    },
  };
}

/**
 * admin.portUnification: a TCP listener whose connections go to the HTTP
 * server, each after its first byte: a TLS handshake record upgraded to TLS
 * first, anything else as it is (UnifiedConnectionFactory). A socket that sends
 * nothing within the idle timeout is plaintext ("Incoming connection has no data").
 */
function unifiedListener(http: Server, tls: AdminTls, idleTimeoutMs: number, log: StructuredLogger): { listener: NetServer; sockets: ReadonlySet<Socket> } {
  const unification = new PortUnification({ options: tls.options, authenticate: () => ok([]), handshakeDetectionTimeoutMs: idleTimeoutMs }, log);
  const sockets = new Set<Socket>();
  const listener = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    unification.detect(
      socket,
      (plain) => {
        tls.onPlaintextConnection();
        http.emit('connection', plain);
      },
      (secure) => http.emit('connection', secure),
    );
  });
  return { listener, sockets };
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
