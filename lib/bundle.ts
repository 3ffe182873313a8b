// Whether this code runs from one of deploy/build.mjs's bundles under dist/,
// and where a sibling bundle is. The build defines __ZKSPEC_BUNDLE__; under
// tsx (the tests, `npm run bench`) it is undefined.
//
// Why the code must know: a worker thread is started from a module file, not
// from code already loaded, so the checker's workers (model-check/parallel.ts)
// load either their TypeScript source through tsx, or dist/check-worker.js,
// which runs on node alone. tsx is a development dependency: a checker run
// from the bundles with --workers must not need it.

declare const __ZKSPEC_BUNDLE__: boolean | undefined;

export const inBundle: boolean = typeof __ZKSPEC_BUNDLE__ !== 'undefined' && __ZKSPEC_BUNDLE__ === true;

/**
 * The URL of dist/<name>. The build rewrites import.meta.url to this
 * source file's place relative to the bundle, so dist/ is found beside lib/
 * from the repository and from a copy of dist/ alone.
 */
export function bundleUrl(name: string): URL {
  return new URL(`../dist/${name}`, import.meta.url);
}
