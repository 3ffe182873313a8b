// What gtmk, stmk and hash read of a running server, for both modes: the
// trace mask the client port keeps (ZooTrace's text trace level) and the
// tree's digest log, which digest.enabled=false empties as ZooKeeper does.

import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { ZooKeeperServer } from '../server/server.ts';
import type { FourLetterWordOptions } from './four-letter-words.ts';

export function traceAndDigestOptions(server: ZooKeeperServer, config: ZooKeeperConfig, argument: bigint | undefined): Pick<FourLetterWordOptions, 'traceMask' | 'argument' | 'digestLog'> {
  return {
    traceMask: server.traceMask,
    ...(argument === undefined ? {} : { argument }),
    // With digest.enabled=false the tree keeps no log; the check keeps `hash` empty whatever built the tree.
    digestLog: () => (config.treeFeatures.digestEnabled ? server.core.tree.digest.digestLog : []),
  };
}
