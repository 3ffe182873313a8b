// Loopback ports for tests and benchmarks, two ways:
// - freePorts: bound to port 0 on 127.0.0.1 (the kernel picks), then released.
//   Several are held open together so that one call never returns the same
//   port twice. Another process may take a port between its release and its
//   use, and the kernel hands out the same range as the local ports of
//   outgoing connections; a test that binds at once can accept that.
// - reservePorts: for servers started as processes, which bind seconds later:
//   picked below the ephemeral range and locked across this machine's test
//   processes until releasePorts (or this process's exit).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './processes.ts';

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen({ host, port: 0 }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

/**
 * Ports reserved by any test process on this machine and not yet released: one
 * file per port in a shared directory, holding the owner's PID. Vitest runs
 * several test files that start servers at once, each in its own process, and a port
 * two of them picked in the same second would have one member bind it and
 * another ensemble's proxy forward to it. A file whose PID is dead is stale
 * (its process was killed) and is taken over.
 */
const portLockDir = join(tmpdir(), 'zkspec-ensemble-ports');
const portLocksHeld = new Set<number>();


function lockPort(port: number): boolean {
  mkdirSync(portLockDir, { recursive: true });
  releaseAtExit();
  const path = join(portLockDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      portLocksHeld.add(port);
      return true;
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        continue; // released meanwhile: try again
      }
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
      rmSync(path, { force: true }); // stale
    }
  }
  return false;
}

/** Gives reserved ports back (a port this process did not reserve is ignored). */
export function releasePorts(ports: Iterable<number>): void {
  for (const port of ports) {
    if (!portLocksHeld.delete(port)) continue;
    const path = join(portLockDir, String(port));
    try {
      if (readFileSync(path, 'utf8') === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  }
}

/**
 * `count` distinct ports that 127.0.0.1 can listen on, picked at random below
 * the kernel's ephemeral range (ip_local_port_range) and locked for this
 * process (lockPort) until `releasePorts`. Not freePorts' port 0: a
 * member binds its ports a second or two after they are chosen (a JVM
 * starting), and ports from the ephemeral range are also handed out as the
 * local ports of outgoing connections, which under a busy test suite took a
 * member's port in that window. Below the range only explicit binds compete.
 */
export async function reservePorts(count: number): Promise<number[]> {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: keep the usual default
  }
  const low = Math.max(1024, ephemeralLow - 16_384);
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt >= count * 50) {
      releasePorts(ports);
      throw new Error(`could not find ${count} free ports in ${low}..${ephemeralLow - 1}`);
    }
    const port = low + Math.floor(Math.random() * (ephemeralLow - low));
    if (ports.includes(port) || !lockPort(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) ports.push(port);
    else releasePorts([port]);
  }
  return ports;
}

let exitHookInstalled = false;
function releaseAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => releasePorts([...portLocksHeld]));
}
