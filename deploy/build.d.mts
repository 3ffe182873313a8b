// Types of build.mjs for the TypeScript that imports it (.ci/build-once.ts, .ci/build.test.ts).

export type Command = {
  /** The bundle, dist/<name>.js. */
  readonly name: string;
  /** Its entry module, from the repository's root. */
  readonly source: string;
  /** The name package.json's `bin` gives it. */
  readonly bin?: string;
  /** An exported `main(argv)` the bundle calls. */
  readonly main?: string;
};

export const repoRoot: string;
export const distDir: string;
export const commands: readonly Command[];
/** Bundles that are not commands: modules a command loads by URL (the checker's worker and the spec registry). */
export const modules: readonly Command[];
export const external: readonly string[];
/** Whether every bundle in `outDir` (dist/) is newer than every file it is built from. */
export function upToDate(outDir?: string): boolean;
export function build(options?: { readonly outDir?: string; readonly quiet?: boolean }): Promise<{ readonly files: readonly string[]; readonly elapsedMs: number }>;
