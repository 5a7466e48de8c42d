// Per-request overhead: the library's fetch (`useAuthFetch()`) against a bare ofetch instance that
// carries the same Authorization header, (1) in process with a fetch answering a canned Response at
// once, so only client-side work is timed, and (2) one request at a time against the demo server.
import { ofetch } from 'ofetch'
import { Bench } from 'tinybench'
import { createDemoServer } from '../playground/server/app.js'
import { authOptions, createCannedApi, log, median, section, signedInClient } from './helpers.mjs'

const realFetch = globalThis.fetch

/**
 * Runs both tasks (async functions: tinybench calls any other function once more, unawaited, to
 * find out whether it returns a promise) in `rounds` short benches, swapping which goes first each round, and returns the
 * median over rounds of each task's median latency and the median of the per-round ratios.
 */
async function compare(label, ours, bare, { rounds, time }) {
  const oursMs = []
  const bareMs = []
  const ratios = []
  // Round 0 warms the JIT, the sockets and the server up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const bench = new Bench({ name: label, time, warmupTime: time / 4, throws: true })
    const tasks = [
      ['useAuthFetch()', ours],
      ['bare ofetch', bare],
    ]
    if (round % 2) tasks.reverse()
    for (const [name, fn] of tasks) bench.add(name, fn)
    await bench.run()
    const p50 = (name) => bench.getTask(name).result.latency.p50
    const [a, b] = [p50('useAuthFetch()'), p50('bare ofetch')]
    log(`${label} round ${round}: ${(a * 1000).toFixed(1)} µs vs ${(b * 1000).toFixed(1)} µs`)
    if (round === 0) continue
    oursMs.push(a)
    bareMs.push(b)
    ratios.push(a / b)
  }
  return {
    oursUs: median(oursMs) * 1000,
    bareUs: median(bareMs) * 1000,
    ratio: median(ratios),
    rounds,
  }
}

section(async () => {
  // 1. In process: every byte of work is the client's.
  const canned = createCannedApi()
  globalThis.fetch = canned.fetch
  const origin = 'http://api.test'
  const local = await signedInClient(authOptions(origin))
  const localBare = ofetch.create(
    { baseURL: `${origin}/api`, headers: { Authorization: `Bearer ${local.store.accessToken}` } },
    { fetch: (input, init) => globalThis.fetch(input, init) },
  )
  await local.api('/data')
  await localBare('/data')
  const inProcess = await compare(
    'in process',
    async () => {
      await local.api('/data')
    },
    async () => {
      await localBare('/data')
    },
    { rounds: 6, time: 300 },
  )
  if (canned.counts.refresh !== 0 || canned.counts.api401 !== 0) {
    throw new Error('in-process overhead run refreshed or got 401s; the comparison is invalid')
  }

  // 2. Loopback: the same pair against the demo server, one request at a time.
  globalThis.fetch = realFetch
  const demo = createDemoServer({ accessTtl: 3600 })
  const { url, close } = await demo.listen()
  const remote = await signedInClient(authOptions(url))
  const remoteBare = ofetch.create(
    { baseURL: `${url}/api`, headers: { Authorization: `Bearer ${remote.store.accessToken}` } },
    { fetch: (input, init) => globalThis.fetch(input, init) },
  )
  await remote.api('/data')
  await remoteBare('/data')
  demo.resetStats()
  const loopback = await compare(
    'loopback',
    async () => {
      await remote.api('/data')
    },
    async () => {
      await remoteBare('/data')
    },
    { rounds: 10, time: 300 },
  )
  if (demo.stats.refreshes !== 0 || demo.stats.api401 !== 0) {
    throw new Error('loopback overhead run refreshed or got 401s; the comparison is invalid')
  }
  await close()
  return { inProcess, loopback }
})
