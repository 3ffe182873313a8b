// The control port of a member in test-control mode (control-mode.ts): a
// line protocol on 127.0.0.1, one command per line, one JSON line answered
// per command, in order (a command that waits holds back the answers after
// it). ZooKeeper's four-letter words do not fit: the client port recognises
// only ZooKeeper's own words, and a word cannot carry an argument.
//
//   who              -> {"ok":true,"myid":N,"pid":P}  (the harness checks it talks to the process it started)
//   prj              -> {"ok":true,"projection":{...},"extra":{...}}
//   lead             -> {"ok":true}            start a LEADING run
//   follow <sid>     -> {"ok":true}            start a FOLLOWING (OBSERVING) run under server <sid>
//   sync <zxid>      -> {"ok":true}            once the log holds <zxid> (decimal), write and fsync the held appends
//   end              -> {"ok":true}            end the current role run (the member goes LOOKING)
//
// A command that cannot be done answers {"ok":false,"error":"..."}.

import { createServer, type Server, type Socket } from 'node:net';

export type ControlHandler = (command: string, args: readonly string[]) => Promise<unknown>;

/** Commands are short; a longer line is a client bug. */
const lineBytesMax = 4096;

export class ControlServer {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly port: number,
  ) {}

  static start(port: number, handle: ControlHandler): Promise<ControlServer> {
    const sockets = new Set<Socket>();
    const server = createServer({ noDelay: true }, (socket) => serve(socket, handle, sockets));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(new ControlServer(server, sockets, port)));
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function serve(socket: Socket, handle: ControlHandler, sockets: Set<Socket>): void {
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
