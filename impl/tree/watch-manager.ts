// One table of watches, as ZooKeeper's WatchManager keeps it (DataTree has two:
// data watches, which exists() and getData() set, and child watches, which
// getChildren() sets). A watcher is a connection id: ZooKeeper keys watches by
// ServerCnxn, drops them when the connection closes, and the client re-sends them
// with setWatches on reconnect.
//
// Modes per (watcher, path) are a bit set, WatchStats in ZooKeeper: a standard
// (one-shot) watch is removed when it fires; persistent and persistent-recursive
// watches (addWatch, ZOOKEEPER-1416) stay. On a change at `path`, every watch on
// `path` fires; on its ancestors, only persistent-recursive ones.

export type Watcher = number;

export const WatcherMode = {
  standard: 1,
  persistent: 2,
  persistentRecursive: 4,
} as const;
export type WatcherMode = (typeof WatcherMode)[keyof typeof WatcherMode];

export class WatchManager {
  private readonly watchTable = new Map<string, Set<Watcher>>();
  private readonly watch2Paths = new Map<Watcher, Map<string, number>>();
  private recursiveWatchQty = 0;

  /** Adds a watch; returns true when it changed anything. */
  addWatch(path: string, watcher: Watcher, mode: WatcherMode = WatcherMode.standard): boolean {
    let watchers = this.watchTable.get(path);
    if (watchers === undefined) this.watchTable.set(path, (watchers = new Set()));
    watchers.add(watcher);
    let paths = this.watch2Paths.get(watcher);
    if (paths === undefined) this.watch2Paths.set(watcher, (paths = new Map()));
    const before = paths.get(path) ?? 0;
    const after = before | mode;
    if (after === before) return false;
    paths.set(path, after);
    if (mode === WatcherMode.persistentRecursive) this.recursiveWatchQty++;
    return true;
  }

  /** Drops every watch of a watcher (its connection closed). */
  removeWatcher(watcher: Watcher): void {
    const paths = this.watch2Paths.get(watcher);
    if (paths === undefined) return;
    this.watch2Paths.delete(watcher);
    for (const [path, modes] of paths) {
      const watchers = this.watchTable.get(path);
      if (watchers !== undefined) {
        watchers.delete(watcher);
        if (watchers.size === 0) this.watchTable.delete(path);
      }
      if (modes & WatcherMode.persistentRecursive) this.recursiveWatchQty--;
    }
  }

  /**
   * Fires the watches a change at `path` triggers and returns the watchers that
   * fired, minus `suppress` (DataTree.deleteNode passes the data watchers already
   * told NodeDeleted so they do not hear it twice from the child table).
   */
  triggerWatch(path: string, suppress?: ReadonlySet<Watcher>): Set<Watcher> {
    const fired = new Set<Watcher>();
    let localPath: string | undefined = path;
    let atParent = false;
    while (localPath !== undefined) {
      const watchers = this.watchTable.get(localPath);
      if (watchers !== undefined) {
        for (const watcher of watchers) {
          const paths = this.watch2Paths.get(watcher);
          const modes = paths?.get(localPath);
          if (paths === undefined || modes === undefined) continue;
          if (!atParent) {
            fired.add(watcher);
            const remaining = modes & ~WatcherMode.standard;
            if (remaining === 0) {
              watchers.delete(watcher);
              paths.delete(localPath);
              if (paths.size === 0) this.watch2Paths.delete(watcher);
            } else if (remaining !== modes) {
              paths.set(localPath, remaining);
            }
          } else if (modes & WatcherMode.persistentRecursive) {
            fired.add(watcher);
          }
        }
        if (watchers.size === 0) this.watchTable.delete(localPath);
      }
      // Ancestors matter only while some persistent-recursive watch exists
      // (WatchManager.getPathParentIterator).
      if (this.recursiveWatchQty === 0 || localPath === '/') break;
      const slash = localPath.lastIndexOf('/');
      localPath = slash <= 0 ? '/' : localPath.slice(0, slash);
      atParent = true;
    }
    if (suppress !== undefined) for (const watcher of suppress) fired.delete(watcher);
    return fired;
  }

  /** WatchManager.containsWatcher; `mode` undefined means any mode. */
  containsWatcher(path: string, watcher: Watcher, mode?: WatcherMode): boolean {
    const modes = this.watch2Paths.get(watcher)?.get(path);
    return modes !== undefined && (mode === undefined || (modes & mode) !== 0);
  }

  /** WatchManager.removeWatcher(path, watcher, mode); `mode` undefined removes all modes. Returns whether anything was removed. */
  removeWatch(path: string, watcher: Watcher, mode?: WatcherMode): boolean {
    const paths = this.watch2Paths.get(watcher);
    const watchers = this.watchTable.get(path);
    if (paths === undefined || watchers === undefined) return false;
    const before = paths.get(path) ?? 0;
    const after = mode === undefined ? 0 : before & ~mode;
    if (after === before) return false;
    if (after === 0) {
      paths.delete(path);
      if (paths.size === 0) this.watch2Paths.delete(watcher);
      watchers.delete(watcher);
      if (watchers.size === 0) this.watchTable.delete(path);
    } else {
      paths.set(path, after);
    }
    if (before & WatcherMode.persistentRecursive && !(after & WatcherMode.persistentRecursive)) this.recursiveWatchQty--;
    return true;
  }

  /** Number of (watcher, path) pairs: what `wchs` reports as "Total watches". */
  get size(): number {
    let total = 0;
    for (const paths of this.watch2Paths.values()) total += paths.size;
    return total;
  }

  /** Paths watched by each watcher (wchc). */
  byWatcher(): Map<Watcher, string[]> {
    return new Map([...this.watch2Paths].map(([watcher, paths]) => [watcher, [...paths.keys()]]));
  }

  /** Watchers of each path (wchp). */
  byPath(): Map<string, Watcher[]> {
    return new Map([...this.watchTable].map(([path, watchers]) => [path, [...watchers]]));
  }

  get watcherCount(): number {
    return this.watch2Paths.size;
  }

  get pathCount(): number {
    return this.watchTable.size;
  }
}
