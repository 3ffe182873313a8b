// Apache ZooKeeper's C client shell (cli_mt) as the compatibility tests drive
// it: commands on stdin one at a time, its output collected, the process
// SIGKILLed by PID if it outlives its time; and the arguments ZooKeeper 3.8's
// cli.c takes for TLS (`-s ca,cert,key[,password]`, when built with OpenSSL)
// and for SASL DIGEST-MD5 (`-n DIGEST-MD5 -u user -p password-file -o
// zk-sasl-md5`, when built with Cyrus SASL). Debian's cli_mt is built with
// neither; a build that has both is named by ZKSPEC_CLI_MT_SECURE
// (docs/operations.md, "The C client over TLS and SASL").

import { spawn } from 'node:child_process';
import type { TestCertificates } from './certificates.ts';

/** The environment variable naming a cli_mt built with OpenSSL and Cyrus SASL. */
export const secureCliMtVariable = 'ZKSPEC_CLI_MT_SECURE';

/** The TLS- and SASL-capable cli_mt this run was given, if any. */
export function secureCliMt(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env[secureCliMtVariable];
  return path === undefined || path === '' ? undefined : path;
}

/** A line cli.c prints when a command has its answer: a completion's `rc = `, or `Error <rc> for` when the call itself failed. */
const answered = /rc = -?\d+|^Error -?\d+ for /gm;

export type CliMtRun = {
  /** Where cli_mt connects: host:port,... */
  readonly hosts: string;
  /** More arguments: `cliMtTlsArgs`, `cliMtDigestArgs`. */
  readonly args?: readonly string[];
  /** Sent one at a time on stdin, each once the one before has its answer; then `quit`. */
  readonly commands: readonly string[];
  /** The first command waits for the session (CONNECTED_STATE), at most this long: a client that cannot connect gets its commands then. */
  readonly connectWaitMs?: number;
  readonly timeoutMs?: number;
};

/**
 * Runs `binary` (a cli_mt) and resolves with what it printed, stderr (results and the
 * library's log) then stdout. cli.c runs each command asynchronously and prints its
 * answer from another thread; sending the next command only once the last one's
 * answer is printed keeps the lines of two commands from interleaving.
 */
export function runCliMt(binary: string, run: CliMtRun): Promise<string> {
  const { hosts, args = [], commands, connectWaitMs = 3_000, timeoutMs = 30_000 } = run;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-h', hosts, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let sent = 0;
    let waiting: NodeJS.Timeout | undefined;
    const lines = [...commands, 'quit'];
    const send = () => {
      if (sent === lines.length || child.exitCode !== null || child.stdin.destroyed) return;
      clearTimeout(waiting);
      child.stdin.write(`${lines[sent++]}\n`);
      if (sent === lines.length) child.stdin.end();
    };
    const onOutput = () => {
      if (sent === 0) {
        if (stderr.includes('CONNECTED_STATE')) send();
        return;
      }
      // Every command sent so far has its answer: a moment for the rest of its lines, then the next.
      if ((stderr.match(answered) ?? []).length >= sent && sent < lines.length) {
        clearTimeout(waiting);
        waiting = setTimeout(send, 100);
      }
    };
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onOutput();
    });
    waiting = setTimeout(send, connectWaitMs);
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`cli_mt did not finish within ${timeoutMs} ms (${sent} of ${lines.length} lines sent); output:\n${stderr}${stdout}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      clearTimeout(waiting);
      resolve(stderr + stdout);
    });
    // A client that gave up (its session closed) may close stdin before `quit`.
    child.stdin.on('error', () => {});
  });
}

/** cli_mt's `-s` for client `name` of `certs`: the CA, the client's certificate and its unencrypted key, PEM. */
export function cliMtTlsArgs(certs: TestCertificates, name: string): string[] {
  const client = name === 'stranger' ? certs.stranger : certs.clients[name];
  if (client === undefined) throw new Error(`no client certificate named ${name}`);
  return ['-s', [certs.caPem, client.cert, client.key].join(',')];
}

/** cli_mt's SASL DIGEST-MD5 arguments, as cli.c's usage gives them, the password read from `passwordFile`. */
export function cliMtDigestArgs(user: string, passwordFile: string): string[] {
  return ['-n', 'DIGEST-MD5', '-u', user, '-p', passwordFile, '-o', 'zk-sasl-md5'];
}
