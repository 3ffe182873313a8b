// The zoo.cfg settings storage reads, in storage's own terms, so the server's
// entry point does not re-derive them (and cannot forget one).

import type { StorageOptions } from '../storage/storage.ts';
import type { ZooKeeperConfig } from './zoo-cfg.ts';

export function storageOptionsFrom(config: ZooKeeperConfig): StorageOptions {
  return {
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    forceSync: config.forceSync,
    snapCount: config.snapCount,
    snapRetainCount: config.snapRetainCount,
    purgeIntervalHours: config.purgeIntervalHours,
    ...(config.preAllocBytes === undefined ? {} : { preAllocBytes: config.preAllocBytes }),
  };
}
