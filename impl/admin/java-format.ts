// How Java prints the values ZooKeeper's four-letter words contain, so that
// our answers match byte for byte: Double.toString, Long.toHexString,
// Date.toString.

/** Java's Double.toString: `0.0`, `4.0`, `4.1667`, `1.0E7`. */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  // Scientific: one digit, a point, at least one more digit, E, exponent without '+'.
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${withPoint}E${exponent.replace('+', '')}`;
}

/** Java's Long.toHexString: two's complement for negative values (-1 prints ffffffffffffffff). */
export function javaHex(value: bigint | number): string {
  const big = BigInt(value);
  return (big < 0n ? big + (1n << 64n) : big).toString(16);
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** Java's Date.toString in UTC: `Sun Nov 22 04:21:19 UTC 2026`. */
export function javaDate(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}
