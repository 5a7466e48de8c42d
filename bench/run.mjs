// `npm run bench`: runs each section in its own Node process against the built package (dist/),
// prints one report and writes it to bench/results.md. Exits 1 when a "must" does not hold.
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const started = performance.now()

if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
  console.error('bench: dist/index.js is missing; run `npm run build` first (npm run bench does).')
  process.exit(1)
}

/** Runs bench/<name>.mjs in a child process and returns the JSON it prints last. */
function run(name, { env = 'production', nodeArgs = [] } = {}) {
  console.error(`bench: ${name} (NODE_ENV=${env})`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, `${here}${name}.mjs`], {
      env: { ...process.env, NODE_ENV: env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/${name}.mjs exited with ${code}`))
      resolve(JSON.parse(out.trim().split('\n').at(-1)))
    })
  })
}

const size = await run('size')
const flight = await run('single-flight')
const overhead = await run('overhead')
const memory = await run('memory', { nodeArgs: ['--expose-gc'] })
const cleanup = [await run('cleanup'), await run('cleanup', { env: 'development' })]

// --- checks -----------------------------------------------------------------------------------

const checks = []
const check = (ok, text) => checks.push({ ok, text })
for (const r of flight.ours) {
  check(r.refreshes[0] === 1 && r.refreshes[1] === 1, `N=${r.n}: one refresh in every round`)
  check(r.successes[0] === r.n, `N=${r.n}: all ${r.n} requests succeed in every round`)
}
for (const [name, d] of Object.entries(size.devtools)) {
  const where =
    name === 'peersExternal' ? '@vue/devtools-api external' : '@vue/devtools-api bundled'
  check(d.sameCode, `${where}: devtools adds 0 bytes to a production build`)
  check(
    d.markersInProduction.length === 0,
    `${where}: no devtools strings in production` +
      (d.markersInProduction.length
        ? ` (found ${d.devtoolsImports.join(' ') || d.markersInProduction.join(', ')})`
        : ''),
  )
}
check(memory.ratio < 1.2, `heap after 10,000 refresh cycles within 20 % of heap after 100`)
for (const c of cleanup) {
  const left = c.unmounted.ours
  check(
    left.listeners === 0 && left.timers === 0 && left.channels === 0,
    `${c.mode}: no listener, timer or channel of the library left after unmount`,
  )
}

// --- report -----------------------------------------------------------------------------------

const kB = (bytes) => `${(bytes / 1024).toFixed(2)} kB`
const x = (ratio) => `×${ratio.toFixed(2)}`
const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1))
const range = ([lo, hi]) => (lo === hi ? String(lo) : `${lo}–${hi}`)
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`]
    .concat(rows.map((row) => `| ${row.join(' | ')} |`))
    .join('\n')

const cpus = os.cpus()
const failureKinds = [
  ['vue-refresh-auth', flight.ours],
  ['axios-auth-refresh', flight.axios],
]
  .map(
    ([name, rows]) =>
      `${name}: ${[...new Set(rows.flatMap((r) => r.failures))].join(', ') || 'none'}`,
  )
  .join('; ')
const ext = size.devtools.peersExternal
const bun = size.devtools.devtoolsApiBundled
const devtoolsStrings = (d) =>
  d.markersInProduction.length
    ? `✗ ${d.devtoolsImports.map((s) => `\`${s}\``).join(' ') || d.markersInProduction.join(', ')}`
    : '✓ none'

const report = `# vue-refresh-auth benchmarks

- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.arch()}, ${Math.round(os.totalmem() / 2 ** 30)} GB
- Node ${process.version}; date ${new Date().toISOString()}
- Runtime sections run with \`NODE_ENV=production\` against \`dist/\`; timings are medians over rounds
  (tinybench), and every ratio compares figures taken in this same run.

## 1. Size (production app build: Vite \`build()\`, minified, tree-shaken, gzip level 9)

${table(
  ['bundle', 'min', 'min + gzip'],
  [
    [
      '(a) vue-refresh-auth alone: every export; peers, ofetch, jwt-decode, ufo, cookie-es external',
      kB(size.library.bytes),
      `**${kB(size.library.gzip)}** (${size.library.gzip} B)`,
    ],
    [
      '(a) same, development build (all dev-only code, devtools included)',
      kB(size.libraryDev.bytes),
      kB(size.libraryDev.gzip),
    ],
    [
      '(b) vue-refresh-auth with its dependencies bundled (vue, pinia, vue-router, @vue/devtools-api external)',
      kB(size.withDeps.bytes),
      `**${kB(size.withDeps.gzip)}**`,
    ],
    [
      'axios + axios-auth-refresh (one interceptor; everything bundled)',
      kB(size.axios.bytes),
      `${kB(size.axios.gzip)} (${x(size.axios.gzip / size.withDeps.gzip)} of (b))`,
    ],
    [
      'oidc-client-ts (\`new UserManager()\`; everything bundled)',
      kB(size.oidc.bytes),
      `${kB(size.oidc.gzip)} (${x(size.oidc.gzip / size.withDeps.gzip)} of (b))`,
    ],
  ],
)}

(c) What devtools adds to a production build: an app entry \`createAuth({ baseURL: '/api' })\` with the
\`devtools\` option left to its default, against the same entry with \`devtools: false\`.

${table(
  ['', '@vue/devtools-api external', '@vue/devtools-api bundled by the app'],
  [
    [
      'production, devtools default',
      `${kB(ext.default.bytes)} / ${kB(ext.default.gzip)} gz`,
      `${kB(bun.default.bytes)} / ${kB(bun.default.gzip)} gz`,
    ],
    [
      'production, \`devtools: false\`',
      `${kB(ext.disabled.bytes)} / ${kB(ext.disabled.gzip)} gz`,
      `${kB(bun.disabled.bytes)} / ${kB(bun.disabled.gzip)} gz`,
    ],
    [
      'devtools code in production',
      ext.sameCode ? '✓ 0 B (same code but the option literal)' : '✗ outputs differ',
      bun.sameCode ? '✓ 0 B (same code but the option literal)' : '✗ outputs differ',
    ],
    [
      'devtools strings in production (devtools-api import, addTimelineEvent, setupDevtoolsPlugin)',
      devtoolsStrings(ext),
      devtoolsStrings(bun),
    ],
    [
      'development build of the same entry',
      `${kB(ext.development.gzip)} gz (${ext.markersInDevelopment.join(', ') || 'no devtools strings'})`,
      `${kB(bun.development.gzip)} gz (${bun.markersInDevelopment.join(', ') || 'no devtools strings'})`,
    ],
  ],
)}

## 2. Single flight at scale (demo server on loopback, token revoked before each burst)

N concurrent requests through each client with a revoked access token. "Baseline" is the same client
sending N plain requests with a valid token plus one refresh round trip, timed in the same run.
axios-auth-refresh: default options, the README's refresh function and token request interceptor.

${table(
  [
    'N',
    'client',
    'refresh calls',
    'successes',
    'API requests',
    'wall (ms)',
    'baseline (ms)',
    'ratio',
  ],
  flight.ours.flatMap((ours, i) =>
    [ours, flight.axios[i]].map((r, j) => [
      String(r.n),
      j ? 'axios-auth-refresh' : 'vue-refresh-auth',
      range(r.refreshes),
      `${range(r.successes)} / ${r.n}`,
      range(r.apiRequests),
      ms(r.expiredMs),
      `${ms(r.plainMs)} + ${ms(r.refreshMs)}`,
      x(r.ratio),
    ]),
  ),
)}

Failed requests: ${failureKinds}.
Ranges are min–max over ${flight.ours[0].rounds} rounds (${flight.ours.at(-1).rounds} for N=1000); reuse detections: ${Math.max(...flight.ours.map((r) => r.reuseDetections))} (ours), ${Math.max(...flight.axios.map((r) => r.reuseDetections))} (axios).

## 3. Per-request overhead (\`useAuthFetch()\` against bare ofetch carrying the same header)

${table(
  ['', 'useAuthFetch()', 'bare ofetch', 'ratio'],
  [
    [
      'in process, fetch answering a canned Response',
      `${overhead.inProcess.oursUs.toFixed(1)} µs`,
      `${overhead.inProcess.bareUs.toFixed(1)} µs`,
      x(overhead.inProcess.ratio),
    ],
    [
      'loopback, demo server, one request at a time',
      `${overhead.loopback.oursUs.toFixed(0)} µs`,
      `${overhead.loopback.bareUs.toFixed(0)} µs`,
      x(overhead.loopback.ratio),
    ],
  ],
)}

## 4. Memory and cleanup

Heap after refresh cycles (a request answered 401, the shared refresh, the replay; canned fetch in
process; \`--expose-gc\`, collected before each reading):

${table(
  [
    ...Object.keys(memory.heapMB).map((n) => `${Number(n).toLocaleString('en')} cycles`),
    '10,000 / 100',
  ],
  [[...Object.values(memory.heapMB).map((mb) => `${mb.toFixed(2)} MB`), x(memory.ratio)]],
)}

Listeners on window and document, pending timers and open BroadcastChannels in a happy-dom Window
(all / the library's own):

${table(
  ['build', 'before mount', 'mounted, signed in', 'after app.unmount()', 'left after unmount'],
  cleanup.map((c) => {
    const f = (s) =>
      `${s.listeners} / ${s.ours.listeners} listeners, ${s.timers} / ${s.ours.timers} timers, ${s.channels} / ${s.ours.channels} channels`
    return [
      c.mode,
      f(c.before),
      f(c.mounted),
      f(c.unmounted),
      c.unmounted.detail.join(', ') || 'nothing',
    ]
  }),
)}

## Checks

${checks.map((c) => `- ${c.ok ? '✓' : '✗'} ${c.text}`).join('\n')}

Total run time: ${((performance.now() - started) / 1000).toFixed(0)} s.
`

writeFileSync(new URL('./results.md', import.meta.url), report)
console.log(report)
const failed = checks.filter((c) => !c.ok)
if (failed.length) {
  console.error(
    `bench: ${failed.length} check(s) failed:\n${failed.map((c) => `  ✗ ${c.text}`).join('\n')}`,
  )
  process.exit(1)
}
