// The loopback line protocol both test modes of a member speak: test-control
// mode (impl/ensemble/control) and the fault switch (fault-switch.ts). One
// command per line, one JSON line answered per command, in order (a command
// that waits holds back the answers after it); `{"ok":true,...}` or
// `{"ok":false,"error":"..."}`. ZooKeeper's four-letter words do not fit:
// the client port recognises only ZooKeeper's own words, and a word cannot
// carry an argument. Bound to 127.0.0.1 only: whoever reaches the port
// controls the process.
//
// `LineServer` is the member's side, `LineClient` the harness's.

import { connect, createServer, type Server, type Socket } from 'node:net';

export type LineHandler = (command: string, args: readonly string[]) => Promise<unknown>;

/** Commands are short; a longer line is a client bug. */
const lineBytesMax = 4096;
const loopback = '127.0.0.1';

export class LineServer {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly port: number,
  ) {}

  static start(port: number, handle: LineHandler): Promise<LineServer> {
    const sockets = new Set<Socket>();
    const server = createServer({ noDelay: true }, (socket) => serve(socket, handle, sockets));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, loopback, () => resolve(new LineServer(server, sockets, port)));
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function serve(socket: Socket, handle: LineHandler, sockets: Set<Socket>): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffered = '';
  let chain: Promise<void> = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    if (buffered.length > lineBytesMax && !buffered.includes('\n')) {
      socket.destroy();
      return;
    }
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === '') continue;
      const [command, ...args] = line.split(/\s+/);
      chain = chain.then(async () => {
        let answer: unknown;
        try {
          answer = { ok: true, ...((await handle(command!, args)) as object) };
        } catch (error) {
          answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        if (!socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
      });
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The harness's end: one connection, answers matched to commands in order. */
export class LineClient {
  private buffered = '';
  private readonly waiting: { resolve: (answer: Record<string, unknown>) => void; reject: (error: Error) => void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        this.waiting.shift()?.resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('control connection closed'));
    });
  }

  /** Dials 127.0.0.1:`port` until it answers or `deadlineMs` (performance.now()) passes; undefined then. */
  static async connect(port: number, deadlineMs: number): Promise<LineClient | undefined> {
    while (performance.now() < deadlineMs) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect({ host: loopback, port });
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket !== undefined) return new LineClient(socket);
      await sleep(25);
    }
    return undefined;
  }

  /** One command; its JSON answer, or a rejection when none comes within `timeoutMs` or the connection closes. */
  send(line: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to '${line}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(`${line}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
