// @ts-check
// Mutation testing of the engine and everything else in src/ (issue 15): `npm run test:mutation`.
// Too slow for npm test (about 35 minutes on 2 cores); run it by hand. The JSON report goes to
// reports/mutation/mutation.json (gitignored); test/MUTANTS.md accounts for every survivor.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // Every file of src/ but devtools.ts (development-only, behind __DEV__) and global.d.ts (types).
  mutate: ['src/**/*.ts', '!src/devtools.ts', '!src/global.d.ts'],
  // Mutants in string literals change messages and names, not behaviour (the issue allows leaving
  // them out). Nothing else is excluded.
  mutator: { excludedMutations: ['StringLiteral'] },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant that hangs (a loop of fake timers, a promise that never settles) is detected after
  // its tests' own time x 1.5 + 8 s; most fail sooner by vitest's test timeout (4 s, see
  // vitest.mutation.config.ts), which needs no worker restart.
  timeoutMS: 8_000,
  timeoutFactor: 1.5,
  // `live` (scripts/stryker-live-reporter.mjs): each result as it comes, in reports/mutation/live.jsonl.
  plugins: ['@stryker-mutator/*', './scripts/stryker-live-reporter.mjs'],
  reporters: ['clear-text', 'progress', 'json', 'html', 'live'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // Reruns only the mutants whose code or covering tests changed; a fresh clone has
  // no such file and runs everything.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: null },
}
