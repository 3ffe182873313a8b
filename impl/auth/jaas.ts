// A JAAS login configuration file as the JDK's ConfigFile reads it, the file
// `-Djava.security.auth.login.config=PATH` names:
//
//   Server {
//     org.apache.zookeeper.server.auth.DigestLoginModule required
//       user_bob="secret"
//       user_super="adminsecret";
//   };
//
// sections (`Name { entries };`), each entry a login module class, a control
// flag (required, requisite, sufficient, optional) and options `key=value`
// with a quoted or bare value, ending in `;`; comments `//` and `/* */`.
// ConfigFile's `${property}` expansion inside values is not done: a value is
// taken as written. parseJaas only reads the syntax; the checks of what a
// ZooKeeper server section may hold are in sasl-login.ts.

import { z } from 'zod';
import { err, ok, type Result } from '../../lib/result.ts';

export const controlFlags = ['required', 'requisite', 'sufficient', 'optional'] as const;

const entrySchema = z.object({
  loginModule: z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'a login module class name'),
  flag: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(controlFlags, 'a control flag: required, requisite, sufficient or optional')),
  options: z.map(z.string().min(1), z.string()),
  line: z.number(),
});

export type JaasEntry = z.infer<typeof entrySchema>;
export type JaasSection = { readonly name: string; readonly entries: readonly JaasEntry[]; readonly line: number };
/** Sections by name; a name given twice keeps both sections' entries, as ConfigFile does. */
export type JaasConfiguration = ReadonlyMap<string, JaasSection>;

type Token = { readonly kind: 'word' | 'quoted' | 'punct'; readonly text: string; readonly line: number };

/** The tokens of a JAAS file: words, quoted strings (backslash escapes), `{ } ; =`; comments and white space dropped. */
function tokenize(text: string): Result<Token[], string> {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return err(`line ${line}: a /* comment is not closed`);
      for (let j = i; j < end; j++) if (text[j] === '\n') line++;
      i = end + 2;
    } else if ('{};='.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else if (c === '"') {
      const start = line;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return err(`line ${start}: a quoted value is not closed`);
        const q = text[i++]!;
        if (q === '"') break;
        if (q === '\n') line++;
        if (q === '\\' && i < text.length) value += text[i++]!;
        else value += q;
      }
      tokens.push({ kind: 'quoted', text: value, line: start });
    } else if (/[\w.$*\-/:@+]/.test(c)) {
      const start = i;
      while (i < text.length && /[\w.$*\-/:@+]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), line });
    } else {
      return err(`line ${line}: unexpected character ${JSON.stringify(c)}`);
    }
  }
  return ok(tokens);
}

/** Parses a JAAS login configuration; an error names the line and what was expected. */
export function parseJaas(text: string): Result<JaasConfiguration, string> {
  const tokenized = tokenize(text);
  if (!tokenized.ok) return tokenized;
  const tokens = tokenized.value;
  const sections = new Map<string, JaasSection>();
  let at = 0;
  const lastLine = () => tokens[tokens.length - 1]?.line ?? 1;
  const expect = (what: string, test: (t: Token) => boolean): Result<Token, string> => {
    const token = tokens[at];
    if (token === undefined) return err(`line ${lastLine()}: the file ends where ${what} was expected`);
    if (!test(token)) return err(`line ${token.line}: expected ${what}, found ${JSON.stringify(token.text)}`);
    at++;
    return ok(token);
  };
  const isPunct = (p: string) => (t: Token) => t.kind === 'punct' && t.text === p;
  const isWord = (t: Token) => t.kind === 'word';

  while (at < tokens.length) {
    const name = expect('a section name', isWord);
    if (!name.ok) return name;
    const open = expect('"{"', isPunct('{'));
    if (!open.ok) return open;
    const entries: JaasEntry[] = [...(sections.get(name.value.text)?.entries ?? [])];
    while (tokens[at] !== undefined && !isPunct('}')(tokens[at]!)) {
      const entry = parseEntry();
      if (!entry.ok) return entry;
      entries.push(entry.value);
    }
    const close = expect('"}"', isPunct('}'));
    if (!close.ok) return close;
    const semicolon = expect('";" after "}"', isPunct(';'));
    if (!semicolon.ok) return semicolon;
    sections.set(name.value.text, { name: name.value.text, entries, line: sections.get(name.value.text)?.line ?? name.value.line });
  }
  return ok(sections);

  function parseEntry(): Result<JaasEntry, string> {
    const module = expect('a login module class', isWord);
    if (!module.ok) return module;
    const flag = expect('a control flag', isWord);
    if (!flag.ok) return flag;
    const options = new Map<string, string>();
    while (tokens[at] !== undefined && !isPunct(';')(tokens[at]!)) {
      const key = expect('an option name or ";"', isWord);
      if (!key.ok) return key;
      const equals = expect(`"=" after ${key.value.text}`, isPunct('='));
      if (!equals.ok) return equals;
      const value = expect(`a value for ${key.value.text}`, (t) => t.kind === 'word' || t.kind === 'quoted');
      if (!value.ok) return value;
      options.set(key.value.text, value.value.text);
    }
    const end = expect('";" at the end of the login module entry', isPunct(';'));
    if (!end.ok) return end;
    const checked = entrySchema.safeParse({ loginModule: module.value.text, flag: flag.value.text, options, line: module.value.line });
    if (!checked.success) return err(`line ${module.value.line}: ${checked.error.issues.map((i) => i.message).join('; ')}`);
    return ok(checked.data);
  }
}
