import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { configDefaults, defineConfig } from 'vitest/config'
import pkg from './package.json' with { type: 'json' }

// Peers and dependencies stay imports, so the app's bundler dedupes and tree-shakes them.
const external = [...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.dependencies)].map(
  (name) => new RegExp(`^${name}(/|$)`),
)

export default defineConfig(({ mode }) => ({
  define: {
    // The app's bundler decides what "development" means, not our build (see ../shared/style.md).
    __DEV__: mode === 'test' ? 'true' : "(process.env.NODE_ENV !== 'production')",
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    lib: {
      // Each door beyond the main entry is its own entry: an app pays only for what it imports.
      entry: { index: 'src/index.ts', axios: 'src/axios.ts', testing: 'src/testing/index.ts' },
      formats: ['es'],
    },
    rollupOptions: { external },
  },
  test: {
    environment: 'node',
    environmentOptions: { happyDOM: { url: 'http://app.test/' } },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    restoreMocks: true,
    unstubGlobals: true,
    // Waiting on a browser or a server, not a stopwatch: a loaded CI machine just takes longer.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.spec.ts'],
          exclude: [...configDefaults.exclude, 'test/browser/**'],
          setupFiles: ['test/setup.ts'],
        },
      },
      {
        // The example test suite of docs/cookbook/testing.md, as an app's own tests would run.
        extends: true,
        plugins: [vue()],
        resolve: {
          alias: [
            {
              find: /^vue-refresh-auth$/,
              replacement: fileURLToPath(new URL('src/index.ts', import.meta.url)),
            },
            {
              find: /^vue-refresh-auth\/testing$/,
              replacement: fileURLToPath(new URL('src/testing/index.ts', import.meta.url)),
            },
          ],
        },
        test: {
          name: 'docs',
          include: ['docs/snippets/testing/**/*.test.ts'],
        },
      },
      {
        // Real Chromium against the built playground. A project of its own so that its
        // globalSetup (the playground build) runs only when browser tests are part of the run.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.spec.ts'],
          globalSetup: ['test/browser/globalSetup.ts'],
        },
      },
    ],
  },
}))
