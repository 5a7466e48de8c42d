// The suites `npm run test:mutation` runs against each mutant: every unit, model and kit test of
// src/ (Node and happy-dom, against the testing kit's fake server), without the browser project,
// the docs examples, the tests of the demo server's own code (which mutate nothing in src/), and
// three suites of real time and real HTTP (see below).
import { configDefaults, defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Fast files first. Stryker runs a mutant's covering tests one file after another and stops at
 * the first failure, so a mutant the quick unit suites kill never waits for the model (vitest's
 * default puts the slowest files first).
 */
const order = [
  'policies',
  'ssr',
  'devtools',
  'testing',
  'useAuthSocket',
  'guards',
  'expiry',
  'crossTab',
  'doors',
  'session',
  'model',
]
const rank = (spec: TestSpecification) => {
  const name = /([^/]+)\.spec\.ts$/.exec(spec.moduleId)?.[1] ?? ''
  const at = order.indexOf(name)
  return at === -1 ? order.length : at
}
class FastFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  define: { __DEV__: 'true' },
  test: {
    environment: 'node',
    environmentOptions: { happyDOM: { url: 'http://app.test/' } },
    include: ['test/**/*.spec.ts'],
    exclude: [
      ...configDefaults.exclude,
      'test/browser/**',
      // The demo server's own code (playground/server), with Redis: nothing of src/ in them.
      'test/server.spec.ts',
      'test/redis.spec.ts',
      'test/openapi.spec.ts',
      // Real-time waits of seconds per test (a 10 s hanging refresh, sockets across 2 s token
      // lifetimes): run against every mutant they cover, they would take the run past an hour.
      // The behaviours they show are covered by the fake-timer suites too.
      'test/faults.spec.ts',
      'test/socket.integration.spec.ts',
      // The demo server over real HTTP (a server, cookie jars and 1,000-request bursts per run):
      // the slowest suite by far. What it shows of src/ (one refresh for many requests across the
      // doors, replays, the known-expired wait) runs against the fake server in doors.spec.ts,
      // session.spec.ts and the model, which is where mutants are caught.
      'test/integration.spec.ts',
    ],
    setupFiles: ['test/setup.ts'],
    // One worker runs the files one after another with one module cache and no fresh happy-dom
    // window per file: that is most of the time a mutant costs (about 0.6 s a file isolated).
    // Each file's state is reset by its own hooks and test/setup.ts, and the suites pass in any
    // order this way (checked with --sequence.shuffle.files).
    isolate: false,
    sequence: { sequencer: FastFirst },
    // A mutant that leaves a promise unsettled fails its test here in 4 s (the slowest test
    // takes about 2 s on a busy machine) instead of running into Stryker's timeout, which costs a
    // worker restart. Stryker's own timeout (stryker.config.mjs) is set above this one.
    testTimeout: 4_000,
    hookTimeout: 5_000,
    restoreMocks: true,
    unstubGlobals: true,
    expect: { poll: { timeout: 2_000 } },
    // The model runs fewer random sequences per mutant than in CI (1,000): fast-check stops at
    // the first failing sequence, so a mutant the model can see is seen within a few dozen runs,
    // and only survivors pay for every run.
    env: { MODEL_RUNS: '25' },
  },
})
