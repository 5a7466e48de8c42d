// Bundles a small entry the way an app's production build would (Vite's programmatic build(),
// minified, tree-shaken, `process.env.NODE_ENV` defined) and measures it minified and gzipped.
// Shared by `scripts/size.mjs` (the size budget) and `bench/run.mjs` (the size table).
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

export const root = fileURLToPath(new URL('..', import.meta.url))

/** The library's peers: an app has them anyway, so they never count towards our size. */
export const PEERS = ['vue', 'pinia', 'vue-router', '@vue/devtools-api']
/** The library's own dependencies, external for "the library alone". */
export const DEPS = ['ofetch', 'jwt-decode', 'ufo', 'cookie-es']

/** Every public export of the built package (`dist/`), as an app would import them. */
export const LIBRARY_ENTRY = `export * from 'vue-refresh-auth'`

/** Strings that only devtools code contains; none may be left in a production bundle. */
export const DEVTOOLS_MARKERS = ['@vue/devtools-api', 'addTimelineEvent', 'setupDevtoolsPlugin']

const ENTRY = 'virtual:size-entry'
const RESOLVED_ENTRY = '\0' + ENTRY
const STUB = '\0size-stub:'

/** An `external` matcher for whole packages and their subpaths. */
export const externals = (names) => (id) =>
  names.some((name) => id === name || id.startsWith(`${name}/`))

/**
 * Bundles `code` (an ES module; its exports are kept) and returns the output.
 *
 * @param {string} code - the entry module's source
 * @param {object} [options]
 * @param {string[]} [options.external] - packages left as imports
 * @param {'production' | 'development'} [options.env] - `process.env.NODE_ENV` of the app build
 * @param {boolean} [options.fromSource] - bundle `src/` (with `__DEV__` decided by `env`, as the
 *   app's build decides it for the package) instead of the built package, to measure what one
 *   module costs
 * @param {Record<string, string>} [options.stubs] - with `fromSource`: `src/` modules (by name, e.g.
 *   `fetchWithAuth`) replaced by this code each
 * @returns {Promise<{ code: string, bytes: number, gzip: number, chunks: number }>}
 */
export async function bundle(
  code,
  { external = [], env = 'production', fromSource = false, stubs = {} } = {},
) {
  const result = await build({
    configFile: false,
    envDir: false,
    root,
    logLevel: 'silent',
    mode: env,
    define: {
      'process.env.NODE_ENV': JSON.stringify(env),
      // The library build leaves `__DEV__` to the app (vite.config.ts); defines are not applied to
      // each other's output, so from src/ it is decided here, as the app's bundler would.
      ...(fromSource ? { __DEV__: JSON.stringify(env !== 'production') } : {}),
    },
    plugins: [
      {
        name: 'size-entry',
        enforce: 'pre',
        resolveId(id, importer) {
          if (id === ENTRY) return RESOLVED_ENTRY
          // The built package, not src/ (what users install; its package.json has "sideEffects":
          // false), unless a module of src/ is being measured.
          const entry = /^vue-refresh-auth(?:\/(\w+))?$/.exec(id)
          if (entry)
            return `${root}${fromSource ? 'src' : 'dist'}/${entry[1] ?? 'index'}.${fromSource ? 'ts' : 'js'}`
          const name = id.slice(2)
          if (
            importer?.startsWith(`${root}src/`) &&
            id.startsWith('./') &&
            Object.hasOwn(stubs, name)
          )
            return STUB + name
          return null
        },
        load: (id) =>
          id === RESOLVED_ENTRY ? code : id.startsWith(STUB) ? stubs[id.slice(STUB.length)] : null,
      },
    ],
    build: {
      write: false,
      minify: true,
      // Keep the entry's exports, as a library or a shared chunk of an app would.
      rolldownOptions: {
        input: ENTRY,
        external: externals(external),
        preserveEntrySignatures: 'strict',
      },
    },
  })
  const chunks = (Array.isArray(result) ? result : [result])
    .flatMap((output) => output.output)
    .filter((file) => file.type === 'chunk')
  const js = chunks.map((chunk) => chunk.code).join('\n')
  return {
    code: js,
    bytes: Buffer.byteLength(js),
    gzip: gzipSync(js, { level: 9 }).length,
    chunks: chunks.length,
  }
}

/** The library alone: peers and its own dependencies external, production, minified + gzip. */
export const measureLibrary = () => bundle(LIBRARY_ENTRY, { external: [...PEERS, ...DEPS] })
