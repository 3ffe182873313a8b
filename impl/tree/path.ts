// Znode paths: PathUtils.validatePath, character for character, and the
// parent/child split DataTree uses ("/a/b" -> "/a" + "b"; the root's children
// have parent "/").

/** Why `path` is not a valid znode path, or undefined when it is (PathUtils.validatePath). */
export function pathInvalidReason(path: string): string | undefined {
  if (path.length === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (path.length === 1) return undefined;
  if (path.charCodeAt(path.length - 1) === 0x2f) return 'Path must not end with / character';
  let lastc = 0x2f;
  // Java iterates UTF-16 code units, as charCodeAt does, so surrogates (U+D800..)
  // are rejected exactly where ZooKeeper rejects them.
  for (let i = 1; i < path.length; lastc = path.charCodeAt(i), i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && lastc === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e && lastc === 0x2e) {
      if (path.charCodeAt(i - 2) === 0x2f && (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (c === 0x2e) {
      if (path.charCodeAt(i - 1) === 0x2f && (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (
      (c > 0x0000 && c <= 0x001f) ||
      (c >= 0x007f && c <= 0x009f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character @${i}`;
    }
  }
  return undefined;
}

export function isValidPath(path: string): boolean {
  return pathInvalidReason(path) === undefined;
}

/** The parent of a non-root path: "/a" -> "/", "/a/b" -> "/a". */
export function parentPath(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : path.slice(0, lastSlash);
}

/** The last component of a path: "/a/b" -> "b". */
export function childName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}
