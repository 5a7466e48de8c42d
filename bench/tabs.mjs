// Tabs in real headless Chromium against the demo server (rotation with reuse detection): the
// playground built from src/ (as the browser tests build it) and served with the API on one origin.
// Four parts (issue 11):
//   rates   – refreshes per token lifetime for 1, 2, 4, 8 tabs with 2 s, 5 s and 60 s tokens, a request
//             every 100 ms in each tab (the soak card with ?every=100);
//   restore – four tabs of a protected page opened at once with the session only in the refresh
//             cookie (a browser restoring its tabs after a restart), 20 tries;
//   skew    – the server's clock 10 minutes ahead and behind, 20 s tokens, 12 s of requests;
//   slow    – 3 s tokens, one refresh answered 1.5 s late while requests go on.
// Every configuration has its own demo server and its own browser (its own profile: cookies,
// BroadcastChannel and Web Locks are not shared), so configurations can run side by side; what does
// is set in the schedule at the end of this file.
//
// Environment: BENCH_TABS=rates,restore,skew,slow picks parts (default all); BENCH_TABS_TTL=2,5,60
// and BENCH_TABS_COUNTS=1,2,4,8 pick the rows of "rates"; BENCH_TABS_TRIES=<n> sets the restore
// tries (default 20); BENCH_TABS_SERIAL=1 runs every configuration alone, one after another (slower;
// to see whether running side by side moves a figure); CHROMIUM_PATH overrides /usr/bin/chromium.
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { build } from 'vite'
import { createDemoServer } from '../playground/server/app.js'
import { log, section } from './helpers.mjs'

const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
// As test/browser/harness.ts launches it: nothing here downloads a browser.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const ALICE = { username: 'alice', password: 'alice-password' }
const PARTS = new Set(
  (process.env.BENCH_TABS || 'rates,restore,skew,slow').split(',').map((s) => s.trim()),
)
const SERIAL = process.env.BENCH_TABS_SERIAL === '1'
const TRIES = Number(process.env.BENCH_TABS_TRIES) || 20
const TTLS = new Set((process.env.BENCH_TABS_TTL || '2,5,60').split(',').map(Number))

/** One request every this many ms in each tab. */
const EVERY = 100
const TAB_COUNTS = (process.env.BENCH_TABS_COUNTS || '1,2,4,8').split(',').map(Number)
/** Token lifetimes (s), how long each runs (s), and the leeway (s, undefined: the default). */
const RATES = [
  { ttl: 2, seconds: 20 },
  { ttl: 5, seconds: 20 },
  // Two proactive cycles (refresh 10 s before expiry, so every 50 s) and some slack.
  { ttl: 60, seconds: 110, leeway: 10 },
]
const DEFAULT_LEEWAY = 30

// --- infrastructure ---------------------------------------------------------------------------

/** Builds the playground (production mode, as it ships) into a temp dir, as the browser tests do. */
async function buildPlayground() {
  const outDir = await mkdtemp(join(tmpdir(), 'vue-refresh-auth-bench-playground-'))
  await build({
    configFile: fileURLToPath(new URL('../playground/vite.config.ts', import.meta.url)),
    mode: 'production',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
  return outDir
}

/**
 * A demo server on a free 127.0.0.1 port and a fresh Chromium profile, both stopped and removed by
 * `close()`. `refreshAt` and `tokenAt` collect, on this machine's clock, when each refresh request
 * left a tab and when each login or refresh answer with a token arrived.
 */
async function startRig(staticDir, serverOptions) {
  const demo = createDemoServer({ ...serverOptions, staticDir })
  const server = await demo.listen({ host: '127.0.0.1', port: 0 })
  const userDataDir = await mkdtemp(join(tmpdir(), 'vue-refresh-auth-bench-chromium-'))
  let context
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 700 },
    })
  } catch (error) {
    await server.close()
    await rm(userDataDir, { recursive: true, force: true })
    throw error
  }
  const refreshAt = []
  const tokenAt = []
  context.on('request', (request) => {
    if (new URL(request.url()).pathname === '/auth/refresh') refreshAt.push(Date.now())
  })
  context.on('response', (response) => {
    const { pathname } = new URL(response.url())
    if ((pathname === '/auth/refresh' || pathname === '/auth/login') && response.ok()) {
      tokenAt.push(Date.now())
    }
  })
  let blank = context.pages()[0]
  return {
    demo,
    url: server.url,
    context,
    refreshAt,
    tokenAt,
    /** A tab: the first call reuses the blank tab Chromium starts with. */
    async newPage() {
      const page = blank ?? (await context.newPage())
      blank = undefined
      page.on('pageerror', (error) => log(`page error: ${error.message}`))
      return page
    },
    async close() {
      await context.close().catch(() => {})
      await server.close().catch(() => {})
      await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

async function withRig(staticDir, serverOptions, task) {
  const rig = await startRig(staticDir, serverOptions)
  try {
    return await task(rig)
  } finally {
    await rig.close()
  }
}

const onPage = (page, name, timeout = 15_000) =>
  page.locator(`[data-page="${name}"]`).waitFor({ timeout })

async function signIn(page) {
  await onPage(page, 'login')
  await page.getByTestId('username').fill(ALICE.username)
  await page.getByTestId('password').fill(ALICE.password)
  await page.getByTestId('submit').click()
  await onPage(page, 'dashboard')
}

/** Signs in in a first tab, then opens the others one by one (each restores from a live tab). */
async function openTabs(rig, count, query) {
  const first = await rig.newPage()
  await first.goto(`${rig.url}/login${query}`)
  await signIn(first)
  const tabs = [first]
  for (let i = 1; i < count; i++) {
    const tab = await rig.newPage()
    await tab.goto(`${rig.url}/${query}`)
    await onPage(tab, 'dashboard')
    tabs.push(tab)
  }
  return tabs
}

const queryOf = (params) =>
  '?' +
  Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`)
    .join('&')

/**
 * Starts the soak card in every tab at once and waits for every tab to finish (the card keeps its
 * figures on `window.__soak`, which outlives a logout). Returns the server's counters for the run.
 */
async function soak(rig, tabs, { seconds, onStart }) {
  // Let the last tab's start-up settle, then count from zero.
  await sleep(300)
  const lastTokenAt = rig.tokenAt.at(-1) ?? Date.now()
  rig.demo.resetStats()
  const refreshesBefore = rig.refreshAt.length
  await Promise.all(
    tabs.map((tab) => tab.evaluate(() => document.querySelector('[data-testid="soak"]').click())),
  )
  onStart?.()
  const results = await Promise.all(
    tabs.map(async (tab) => {
      // The card gives up on unanswered requests 15 s after its last one, so this is a backstop.
      const timedOut = await tab
        .waitForFunction(() => window.__soak?.done === true, null, {
          timeout: (seconds + 60) * 1000,
          polling: 250,
        })
        .then(() => false)
        .catch(() => true)
      const r = await tab.evaluate(() => ({
        ...JSON.parse(JSON.stringify(window.__soak)),
        status: document.querySelector('[data-testid="status"]')?.getAttribute('data-status'),
        page: document.querySelector('[data-page]')?.getAttribute('data-page') ?? null,
        visibility: document.visibilityState,
      }))
      return { ...r, timedOut, endedAt: r.endedAt ?? Date.now() }
    }),
  )
  // Refreshes still answering when the last request settled are part of the run.
  await sleep(200)
  const stats = { ...rig.demo.stats }
  const codes = {}
  for (const r of results) {
    for (const [code, n] of Object.entries(r.codes)) codes[code] = (codes[code] ?? 0) + n
  }
  // On the tabs' own clock (this machine's): from the first tab's start to the last tab's end.
  const first = Math.min(...results.map((r) => r.startedAt))
  const ended = Math.max(...results.map((r) => r.endedAt))
  const sum = (key) => results.reduce((total, r) => total + r[key], 0)
  return {
    tabs: tabs.length,
    seconds: (ended - first) / 1000,
    started: first,
    ended,
    /** How far apart the tabs started, ms. */
    startSpreadMs: Math.max(...results.map((r) => r.startedAt)) - first,
    slowestMs: Math.max(...results.map((r) => r.slowestMs)),
    lastTokenAt,
    sent: sum('sent'),
    ok: sum('ok'),
    failed: sum('failed'),
    unsettled: sum('unsettled'),
    timedOut: results.filter((r) => r.timedOut).length,
    perTab: results.map((r) => ({
      sent: r.sent,
      ok: r.ok,
      failed: r.failed,
      unsettled: r.unsettled,
      slowestMs: r.slowestMs,
      status: r.status,
      page: r.page,
      timedOut: r.timedOut,
    })),
    codes,
    errors: [...new Set(results.flatMap((r) => r.errors))].slice(0, 5),
    // Still in the session at the end (its status may be 'refreshing' at that moment).
    signedIn: results.filter((r) => r.page !== 'login' && r.status !== 'unauthenticated').length,
    hidden: results.filter((r) => r.visibility !== 'visible').length,
    refreshes: stats.refreshes,
    api401: stats.api401,
    expiredTokenRequests: stats.expiredTokenRequests,
    reuseDetections: stats.reuseDetections,
    refreshRejected: stats.refreshRejected,
    apiRequests: stats.apiRequests,
    logins: stats.logins,
    /** When each refresh request left a tab, in s from the start of the run. */
    refreshTimes: rig.refreshAt
      .slice(refreshesBefore)
      .map((at) => Number(((at - first) / 1000).toFixed(2))),
  }
}

/**
 * Runs the tasks side by side, or one by one with BENCH_TABS_SERIAL=1. When one fails, the others
 * still finish (and close their browsers and servers) before the first error is thrown.
 */
async function all(tasks) {
  if (SERIAL) {
    const out = []
    for (const task of tasks) out.push(await task())
    return out
  }
  const settled = await Promise.allSettled(tasks.map((task) => task()))
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  return settled.map((s) => s.value)
}

// --- the parts --------------------------------------------------------------------------------

/** One row of the rates table: `tabs` tabs, `ttl` s tokens, requests for `seconds` s. */
function rateRun(staticDir, { tabs: count, ttl, seconds, leeway }) {
  return withRig(staticDir, { accessTtl: ttl }, async (rig) => {
    const tabs = await openTabs(rig, count, queryOf({ soak: seconds, every: EVERY, leeway }))
    const run = await soak(rig, tabs, { seconds })
    const lead = Math.min(leeway ?? DEFAULT_LEEWAY, ttl / 2)
    const cycle = ttl - lead
    const row = {
      ...run,
      ttl,
      leeway: leeway ?? null,
      perLifetime: run.refreshes / (run.seconds / ttl),
      // Proactive refreshes due in the run: one every `cycle` s after the last token before it.
      cycles: Math.floor((run.ended - run.lastTokenAt) / 1000 / cycle),
    }
    row.perCycle = row.cycles ? row.refreshes / row.cycles : null
    log(
      `rates ${count} tab(s), ${ttl} s: ${row.refreshes} refreshes in ${row.seconds.toFixed(1)} s ` +
        `(${row.perLifetime.toFixed(2)}/lifetime), ${row.failed} failed, ${row.expiredTokenRequests} expired-token, ` +
        `${row.reuseDetections} reuse`,
    )
    return row
  })
}

/** Opens 4 tabs at once with no tab alive, `tries` times; counts the refreshes of each try. */
function restoreRun(staticDir, tries) {
  return withRig(staticDir, { accessTtl: 60 }, async (rig) => {
    // A tab off the app's origin keeps the browser open between tries; it takes no part.
    const keeper = await rig.newPage()
    const signInAgain = async () => {
      const page = await rig.context.newPage()
      await page.goto(`${rig.url}/login`)
      await signIn(page)
      await page.close()
    }
    await signInAgain()
    const results = []
    for (let i = 0; i < tries; i++) {
      rig.demo.resetStats()
      const before = rig.refreshAt.length
      const tabs = await Promise.all([0, 1, 2, 3].map(() => rig.context.newPage()))
      const started = Date.now()
      await Promise.all(tabs.map((tab) => tab.goto(`${rig.url}/dashboard`)))
      const landed = await Promise.all(
        tabs.map((tab) =>
          tab
            .locator('[data-page="dashboard"], [data-page="login"]')
            .waitFor({ timeout: 15_000 })
            .then(() => tab.locator('[data-page]').first().getAttribute('data-page'))
            .catch(() => 'timeout'),
        ),
      )
      const ms = Date.now() - started
      // A straggling refresh still counts.
      await sleep(500)
      const { refreshes, reuseDetections, refreshRejected } = rig.demo.stats
      const dashboards = landed.filter((page) => page === 'dashboard').length
      results.push({
        refreshes,
        reuseDetections,
        refreshRejected,
        dashboards,
        ms,
        refreshTimes: rig.refreshAt.slice(before).map((at) => at - started),
      })
      await Promise.all(tabs.map((tab) => tab.close()))
      // The session was lost (reuse detected): sign in again so the next try has one to restore.
      if (dashboards < 4 || reuseDetections || refreshRejected) {
        results.at(-1).signedInAgain = true
        await signInAgain()
      }
    }
    await keeper.close().catch(() => {})
    log(`restore: ${results.map((r) => r.refreshes).join(' ')} refreshes`)
    return results
  })
}

/** 20 s tokens with the server's clock `offset` ms off, `count` tabs, 12 s of requests. */
function skewRun(staticDir, { offset, tabs: count }) {
  const seconds = 12
  return withRig(staticDir, { accessTtl: 20, clockOffset: offset }, async (rig) => {
    const tabs = await openTabs(rig, count, queryOf({ soak: seconds, every: EVERY }))
    const run = await soak(rig, tabs, { seconds })
    log(
      `skew ${offset / 60_000} min, ${count} tab(s): ${run.refreshes} refreshes, ` +
        `${run.expiredTokenRequests} expired-token, ${run.failed} failed`,
    )
    return { ...run, kind: 'skew', offset, ttl: 20, soakSeconds: seconds }
  })
}

/**
 * 3 s tokens, the first refresh of the run answered 1.5 s late (the token issued at once, the answer
 * held: it arrives with 0.5–1.5 s of its life left), `count` tabs, 12 s of requests.
 */
function slowRun(staticDir, { tabs: count }) {
  const seconds = 12
  const lateMs = 1500
  return withRig(staticDir, { accessTtl: 3 }, async (rig) => {
    const tabs = await openTabs(rig, count, queryOf({ soak: seconds, every: EVERY }))
    const run = await soak(rig, tabs, {
      seconds,
      onStart: () => rig.demo.faults.refresh.push({ lateMs }),
    })
    log(
      `slow refresh, ${count} tab(s): ${run.failed} failed ${JSON.stringify(run.codes)}, ` +
        `${run.refreshes} refreshes, ${run.expiredTokenRequests} expired-token`,
    )
    return { ...run, kind: 'slow', ttl: 3, lateMs, soakSeconds: seconds }
  })
}

// --- schedule ---------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100 // USER_HZ, 100 on Linux

/** utime + stime (in s) and parent of every process, from /proc; empty where there is no /proc. */
function processTimes() {
  const out = new Map()
  let pids = []
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return out
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(pid), {
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      })
    } catch {
      // The process ended meanwhile.
    }
  }
  return out
}

/**
 * Measures the CPU time of a phase: the whole machine's (from os.cpus()) and this process tree's
 * (this Node process, its Chromiums and their renderers; sampled every 500 ms, so a process that
 * ends between samples loses at most its last 500 ms). The rest is other work on the machine.
 */
function cpuMeter() {
  const from = os.cpus().map((c) => c.times)
  const seen = new Map()
  const sample = () => {
    const all = processTimes()
    const ours = (pid) => {
      for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
        if (p === process.pid) return true
        p = all.get(p)?.ppid ?? 0
      }
      return false
    }
    for (const [pid, { cpu }] of all) {
      if (!ours(pid)) continue
      const entry = seen.get(pid) ?? { first: cpu, last: cpu }
      entry.last = cpu
      seen.set(pid, entry)
    }
  }
  sample()
  // Processes that start after the first sample count from 0.
  for (const entry of seen.values()) entry.base = entry.first
  const timer = setInterval(sample, 500)
  return () => {
    clearInterval(timer)
    sample()
    const cores = os.cpus()
    let busy = 0
    let total = 0
    cores.forEach(({ times: t }, i) => {
      const f = from[i]
      const sum = (x) => x.user + x.nice + x.sys + x.irq + x.idle
      total += sum(t) - sum(f)
      busy += sum(t) - t.idle - (sum(f) - f.idle)
    })
    let own = 0
    for (const entry of seen.values()) own += entry.last - (entry.base ?? 0)
    // os.cpus() times are in ms, summed over cores.
    const seconds = total / 1000 / cores.length
    return {
      cpuBusy: total ? busy / total : 0,
      cpuOurs: seconds ? Math.min(1, own / seconds / cores.length) : 0,
    }
  }
}

/**
 * At most this many tabs run at once (BENCH_TABS_MAX_TABS). On 2 cores a tab sending a request
 * every 100 ms under playwright-core costs about 8 % of the machine (browser, renderer, network
 * service, this process); 15 tabs at once saturated it, and then requests queued for up to two
 * minutes and arrived with expired tokens: the figures measured the bench, not the engine.
 */
const MAX_TABS = Number(process.env.BENCH_TABS_MAX_TABS) || 8

/** Splits runs into packs of at most MAX_TABS tabs ([1, 2, 4, 8] → [1, 2, 4], [8]), in order. */
function packs(runs) {
  const out = []
  for (const run of runs) {
    const pack = out.find((p) => p.reduce((sum, r) => sum + r.tabs, 0) + run.tabs <= MAX_TABS)
    if (pack) pack.push(run)
    else out.push([run])
  }
  return out
}

/** "1 + 2 + 4 tabs"; skew and slow runs: "+10 min × 1 tab, +10 min × 4 tabs, slow × 1 tab". */
const tabsText = (runs) => {
  const tabs = (n) => `${n} tab${n === 1 ? '' : 's'}`
  if (!runs.some((r) => r.kind)) {
    const counts = runs.map((r) => r.tabs)
    return counts.length === 1 ? tabs(counts[0]) : `${counts.join(' + ')} tabs`
  }
  return runs
    .map((r) =>
      r.kind === 'skew'
        ? `${r.offset < 0 ? '−' : '+'}${Math.abs(r.offset) / 60_000} min × ${tabs(r.tabs)}`
        : `slow × ${tabs(r.tabs)}`,
    )
    .join(', ')
}

section(async () => {
  const t0 = performance.now()
  log(`building the playground (src/ through Vite, production mode)`)
  const staticDir = await buildPlayground()
  const result = {
    every: EVERY,
    serial: SERIAL,
    maxTabs: MAX_TABS,
    parts: [...PARTS],
    buildSeconds: (performance.now() - t0) / 1000,
    rates: [],
    restore: null,
    skew: [],
    slow: [],
    phases: [],
  }
  /** Runs the tasks side by side (one by one with BENCH_TABS_SERIAL=1) and notes the machine's load. */
  const phase = async (name, tasks) => {
    const start = performance.now()
    const meter = cpuMeter()
    const out = await all(tasks)
    result.phases.push({
      name,
      sideBySide: SERIAL ? 1 : tasks.length,
      seconds: (performance.now() - start) / 1000,
      ...meter(),
      load1: os.loadavg()[0],
    })
    return out
  }
  const rates = (ttl) => RATES.find((r) => r.ttl === ttl)
  /** Runs `run` for each configuration, in packs of at most MAX_TABS tabs side by side. */
  const packed = async (label, configs, run) => {
    const out = []
    for (const pack of packs(configs)) {
      out.push(
        ...(await phase(
          `${label}, ${tabsText(pack)}`,
          pack.map((config) => () => run(config)),
        )),
      )
    }
    return out
  }
  try {
    // The short tokens first: they are what the cross-tab timing work moves.
    for (const ttl of [2, 5, 60]) {
      if (!PARTS.has('rates') || !TTLS.has(ttl)) continue
      result.rates.push(
        ...(await packed(
          `${ttl} s tokens`,
          TAB_COUNTS.map((tabs) => ({ tabs, ...rates(ttl) })),
          (config) => rateRun(staticDir, config),
        )),
      )
    }
    // The skew and slow-refresh runs are short and independent: packed together.
    const short = [
      ...(PARTS.has('skew')
        ? [600_000, -600_000].flatMap((offset) =>
            [1, 4].map((tabs) => ({ kind: 'skew', offset, tabs })),
          )
        : []),
      ...(PARTS.has('slow') ? [1, 4].map((tabs) => ({ kind: 'slow', tabs })) : []),
    ]
    if (short.length) {
      const out = await packed(
        [PARTS.has('skew') && 'clock skew', PARTS.has('slow') && 'slow refresh']
          .filter(Boolean)
          .join(' and '),
        short,
        (config) =>
          config.kind === 'skew' ? skewRun(staticDir, config) : slowRun(staticDir, config),
      )
      result.skew = out.filter((r) => r.kind === 'skew')
      result.slow = out.filter((r) => r.kind === 'slow')
    }
    if (PARTS.has('restore')) {
      // Four tabs loading at once are the most timing-sensitive part: alone.
      ;[result.restore] = await phase(`restore, ${TRIES} tries`, [
        () => restoreRun(staticDir, TRIES),
      ])
    }
  } finally {
    await rm(staticDir, { recursive: true, force: true })
  }
  result.rates.sort((a, b) => a.ttl - b.ttl || a.tabs - b.tabs)
  result.totalSeconds = (performance.now() - t0) / 1000
  return result
})
