// One table of watches, as ZooKeeper 3.8's WatchManager keeps it (DataTree has
// two: data watches, which exists() and getData() set, and child watches, which
// getChildren() sets; addWatch puts persistent and persistent-recursive watches
// in both). A watcher is a connection id: ZooKeeper keys watches by ServerCnxn,
// drops them when the connection closes, and the client re-sends them with
// setWatches on reconnect.
//
// 3.8 semantics, which differ from later releases (ZOOKEEPER-4466 turned the mode
// into a bit set in 3.9): each (watcher, path) has ONE mode, and the last watch
// set wins, so a getData watch set on a path with a persistent watch turns it
// back into a one-shot watch. On a change at `path`: standard and persistent
// watches on `path` fire (standard ones are removed); persistent-recursive
// watches on `path` or any ancestor fire for every event type except
// NodeChildrenChanged (WatchManager.triggerWatch).

import { EventType } from '../protocol/constants.ts';

export type Watcher = number;

export const WatcherMode = {
  standard: 'standard',
  persistent: 'persistent',
  persistentRecursive: 'persistentRecursive',
} as const;
export type WatcherMode = (typeof WatcherMode)[keyof typeof WatcherMode];

export class WatchManager {
  private readonly watchTable = new Map<string, Set<Watcher>>();
  private readonly watch2Paths = new Map<Watcher, Map<string, WatcherMode>>();
  private recursiveWatchQty = 0;

  /** WatchManager.addWatch: sets (or replaces) the mode; returns true when the path is new for this watcher. */
  addWatch(path: string, watcher: Watcher, mode: WatcherMode = WatcherMode.standard): boolean {
    let watchers = this.watchTable.get(path);
    if (watchers === undefined) this.watchTable.set(path, (watchers = new Set()));
    watchers.add(watcher);
    let paths = this.watch2Paths.get(watcher);
    if (paths === undefined) this.watch2Paths.set(watcher, (paths = new Map()));
    const before = paths.get(path);
    paths.set(path, mode);
    // WatcherModeManager.setWatcherMode keeps the count of recursive watches.
    if (before !== WatcherMode.persistentRecursive && mode === WatcherMode.persistentRecursive) this.recursiveWatchQty++;
    if (before === WatcherMode.persistentRecursive && mode !== WatcherMode.persistentRecursive) this.recursiveWatchQty--;
    return before === undefined;
  }

  /** Drops every watch of a watcher (its connection closed). */
  removeWatcher(watcher: Watcher): void {
    const paths = this.watch2Paths.get(watcher);
    if (paths === undefined) return;
    this.watch2Paths.delete(watcher);
    for (const [path, mode] of paths) {
      const watchers = this.watchTable.get(path);
      if (watchers !== undefined) {
        watchers.delete(watcher);
        if (watchers.size === 0) this.watchTable.delete(path);
      }
      if (mode === WatcherMode.persistentRecursive) this.recursiveWatchQty--;
    }
  }

  /**
   * Fires the watches an event of `type` at `path` triggers and returns the
   * watchers that fired, minus `suppress` (DataTree.deleteNode passes the data
   * watchers already told NodeDeleted so they do not hear it twice).
   */
  triggerWatch(path: string, type: EventType, suppress?: ReadonlySet<Watcher>): Set<Watcher> {
    const fired = new Set<Watcher>();
    let localPath: string | undefined = path;
    let atParent = false;
    while (localPath !== undefined) {
      const watchers = this.watchTable.get(localPath);
      if (watchers !== undefined) {
        for (const watcher of watchers) {
          const paths = this.watch2Paths.get(watcher);
          const mode = paths?.get(localPath) ?? WatcherMode.standard;
          if (mode === WatcherMode.persistentRecursive) {
            if (type !== EventType.NodeChildrenChanged) fired.add(watcher);
          } else if (!atParent) {
            fired.add(watcher);
            if (mode === WatcherMode.standard) {
              watchers.delete(watcher);
              paths?.delete(localPath);
              if (paths?.size === 0) this.watch2Paths.delete(watcher);
            }
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

  /** WatchManager.containsWatcher (3.8: any mode). */
  containsWatcher(path: string, watcher: Watcher): boolean {
    return this.watch2Paths.get(watcher)?.has(path) ?? false;
  }

  /** The mode of a watch, if set. */
  modeOf(path: string, watcher: Watcher): WatcherMode | undefined {
    return this.watch2Paths.get(watcher)?.get(path);
  }

  /** WatchManager.removeWatcher(path, watcher) (3.8: any mode). Returns whether a watch was removed. */
  removeWatch(path: string, watcher: Watcher): boolean {
    const paths = this.watch2Paths.get(watcher);
    const mode = paths?.get(path);
    if (paths === undefined || mode === undefined) return false;
    paths.delete(path);
    if (paths.size === 0) this.watch2Paths.delete(watcher);
    const watchers = this.watchTable.get(path);
    watchers?.delete(watcher);
    if (watchers?.size === 0) this.watchTable.delete(path);
    if (mode === WatcherMode.persistentRecursive) this.recursiveWatchQty--;
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
