// A reader for the Java properties format zoo.cfg is written in
// (java.util.Properties.load, which ZooKeeper's QuorumPeerConfig.parse uses):
// one `key=value` per logical line, `key: value` and `key value` too; `#` or
// `!` as the first non-blank character makes a comment; a backslash at the end
// of a line continues it; `\t`, `\n`, `\uXXXX` and `\<char>` escapes. ZooKeeper
// then trims each value, and so do we. A later line with the same key wins,
// as in Properties; we report the repetition because it is usually a mistake.

export type Property = { readonly key: string; readonly value: string; readonly line: number };

/**
 * `key` without ZooKeeper's `zookeeper.` prefix. ZooKeeper reads many settings
 * as Java system properties named `zookeeper.<key>`, and QuorumPeerConfig
 * copies zoo.cfg's `<key>` lines into them, so both spellings name one setting.
 */
export function withoutZookeeperPrefix(key: string): string {
  return key.startsWith(zookeeperPrefix) ? key.slice(zookeeperPrefix.length) : key;
}

const zookeeperPrefix = 'zookeeper.';

export function parseProperties(text: string): { readonly properties: readonly Property[]; readonly duplicates: readonly Property[] } {
  const physical = text.split(/\r\n|\r|\n/);
  const byKey = new Map<string, Property>();
  const duplicates: Property[] = [];
  for (let i = 0; i < physical.length; i++) {
    const lineNumber = i + 1;
    let logical = physical[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    // An odd number of trailing backslashes continues the line.
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && i + 1 < physical.length) {
      logical = logical.slice(0, -1) + physical[++i]!.replace(/^[ \t\f]+/, '');
    }
    const { key, rest } = splitKey(logical);
    const property = { key: unescapeProperty(key), value: unescapeProperty(rest).trim(), line: lineNumber };
    const previous = byKey.get(property.key);
    if (previous !== undefined) duplicates.push(previous);
    byKey.delete(property.key); // keep file order of the last occurrence
    byKey.set(property.key, property);
  }
  return { properties: [...byKey.values()], duplicates };
}

/** The key ends at the first unescaped `=`, `:` or whitespace; one separator and the blanks around it are dropped. */
function splitKey(line: string): { key: string; rest: string } {
  let end = 0;
  while (end < line.length) {
    const c = line[end]!;
    if (c === '\\') {
      end += 2;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    end++;
  }
  const key = line.slice(0, Math.min(end, line.length));
  let rest = line.slice(end).replace(/^[ \t\f]+/, '');
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
  return { key, rest };
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    switch (escaped) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return escaped;
    }
  });
}
