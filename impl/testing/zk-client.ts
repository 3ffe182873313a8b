// node-zookeeper-client (npm), the Node client the compatibility tests drive
// standalone servers and ensemble members with, reduced to what they use: a
// session that is connected or an error within a bound, and a promise around
// each callback-style call. The package has no type declarations; the calls
// are made by name, so the type is deliberately loose.

import { createRequire } from 'node:module';

export const zookeeper = createRequire(import.meta.url)('node-zookeeper-client');

export type ZkClient = {
  connect(): void;
  close(): void;
  once(event: string, cb: (...args: unknown[]) => void): void;
  getSessionId(): Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: node-zookeeper-client ships no types; each call site names what it expects
  [method: string]: any;
};

/**
 * A connected client of `target` (a port on 127.0.0.1, or a connect string),
 * or a rejection naming it if no session comes within `timeoutMs` (the
 * client is closed then, so it does not retry in the background).
 */
export function connectClient(target: number | string, sessionTimeoutMs = 4000, timeoutMs = 10_000): Promise<ZkClient> {
  const connectString = typeof target === 'number' ? `127.0.0.1:${target}` : target;
  const client: ZkClient = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 100, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no session from ${connectString} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** Calls a callback-style client method; resolves with its result (an array when it has several), rejects with its exception. */
// biome-ignore lint/suspicious/noExplicitAny: as above, the untyped client's results
export function call<T = any>(client: ZkClient, method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 10_000);
    client[method](...args, (error: unknown, ...results: unknown[]) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve((results.length <= 1 ? results[0] : results) as T);
    });
  });
}
