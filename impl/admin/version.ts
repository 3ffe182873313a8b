// The version this server reports. Clients and tools read ZooKeeper's
// `<major.minor.patch>-<revision>, built on <yyyy-MM-dd HH:mm> UTC` (Version.
// getFullVersion) to decide which features to use; we claim the 3.8 line we
// are wire-compatible with and put our own name where the git revision goes.

export const zooKeeperCompatibleVersion = '3.8.4';

export function fullVersion(revision = 'zkspec', builtOn: Date = new Date(0)): string {
  const iso = builtOn.toISOString(); // 2026-01-01T00:00:00.000Z
  return `${zooKeeperCompatibleVersion}-${revision}, built on ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
