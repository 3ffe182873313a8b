// pino-roll ships no type declarations: this is the part of its API the log
// file uses (pino-roll.js's options; the stream it returns is a SonicBoom,
// which pino takes as a destination).

declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';

  type RollOptions = {
    /** The file's path without its number: `dir/zookeeper.log` rolls as `dir/zookeeper.1.log`, `dir/zookeeper.2.log`, ... */
    readonly file: string;
    /** Size before a roll: a number of MB, or a string with k, m or g. */
    readonly size?: string | number;
    /** Files kept besides the one being written (limit.count). */
    readonly limit?: { readonly count?: number; readonly removeOtherLogFiles?: boolean };
    readonly mkdir?: boolean;
    /** SonicBoom's: write each line with writeSync before returning. */
    readonly sync?: boolean;
  };

  type RollStream = DestinationStream & {
    flushSync(): void;
    end(): void;
    on(event: 'error', listener: (error: Error) => void): void;
  };

  export default function build(options: RollOptions): Promise<RollStream>;
}
