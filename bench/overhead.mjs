// Per-request overhead of each door against its bare client carrying the same Authorization
// header: the ofetch instance (`useAuthFetch()`) against a bare ofetch instance, `fetchWithAuth`
// against `fetch`, axios with `withAuth` against a plain axios instance. (1) In process, with a
// fetch answering a canned Response at once, so only client-side work is timed; (2) one request at
// a time against the demo server.
import axios from 'axios'
import { ofetch } from 'ofetch'
import { Bench } from 'tinybench'
import { withAuth } from 'vue-refresh-auth/axios'
import { createDemoServer } from '../playground/server/app.js'
import { authOptions, createCannedApi, log, median, section, signedInClient } from './helpers.mjs'

const realFetch = globalThis.fetch

/**
 * Runs both tasks (async functions: tinybench calls any other function once more, unawaited, to
 * find out whether it returns a promise) in `rounds` short benches, swapping which goes first each
 * round, and returns the median over rounds of each task's median latency and the median of the
 * per-round ratios.
 */
async function compare(label, ours, bare, { rounds, time }) {
  const oursMs = []
  const bareMs = []
  const ratios = []
  // Round 0 warms the JIT, the sockets and the server up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const bench = new Bench({ name: label, time, warmupTime: time / 4, throws: true })
    const tasks = [
      ['ours', ours],
      ['bare', bare],
    ]
    if (round % 2) tasks.reverse()
    for (const [name, fn] of tasks) bench.add(name, fn)
    await bench.run()
    const p50 = (name) => bench.getTask(name).result.latency.p50
    const [a, b] = [p50('ours'), p50('bare')]
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

/** The three doors of a signed-in client and their bare counterparts, for the API at `api`. */
function pairs({ api, auth, store }, base) {
  const header = () => ({ Authorization: `Bearer ${store.accessToken}` })
  const bareOfetch = ofetch.create(
    { baseURL: base, headers: header() },
    { fetch: (input, init) => globalThis.fetch(input, init) },
  )
  // axios on its fetch adapter, so that both sides of each pair reach the same fetch.
  const door = withAuth(axios.create({ baseURL: base, adapter: 'fetch' }), auth)
  const bareAxios = axios.create({ baseURL: base, adapter: 'fetch', headers: header() })
  return [
    {
      name: 'useAuthFetch() (ofetch)',
      bare: 'ofetch',
      ours: async () => void (await api('/data')),
      plain: async () => void (await bareOfetch('/data')),
    },
    {
      name: 'fetchWithAuth',
      bare: 'fetch',
      ours: async () => void (await (await auth.fetchWithAuth(`${base}/data`)).json()),
      plain: async () =>
        void (await (await globalThis.fetch(`${base}/data`, { headers: header() })).json()),
    },
    {
      name: 'axios + withAuth',
      bare: 'axios',
      ours: async () => void (await door.get('/data')),
      plain: async () => void (await bareAxios.get('/data')),
    },
  ]
}

section(async () => {
  // 1. In process: every byte of work is the client's.
  const canned = createCannedApi()
  globalThis.fetch = canned.fetch
  const origin = 'http://api.test'
  const local = pairs(await signedInClient(authOptions(origin)), `${origin}/api`)
  const results = []
  for (const door of local) {
    await door.ours()
    await door.plain()
    results.push({
      name: door.name,
      bare: door.bare,
      inProcess: await compare(`${door.name} in process`, door.ours, door.plain, {
        rounds: 6,
        time: 300,
      }),
    })
  }
  if (canned.counts.refresh !== 0 || canned.counts.api401 !== 0) {
    throw new Error('in-process overhead run refreshed or got 401s; the comparison is invalid')
  }

  // 2. Loopback: the same pairs against the demo server, one request at a time.
  globalThis.fetch = realFetch
  const demo = createDemoServer({ accessTtl: 3600 })
  const { url, close } = await demo.listen()
  const remote = pairs(await signedInClient(authOptions(url)), `${url}/api`)
  demo.resetStats()
  for (const [i, door] of remote.entries()) {
    await door.ours()
    await door.plain()
    results[i].loopback = await compare(`${door.name} loopback`, door.ours, door.plain, {
      rounds: 10,
      time: 300,
    })
  }
  if (demo.stats.refreshes !== 0 || demo.stats.api401 !== 0) {
    throw new Error('loopback overhead run refreshed or got 401s; the comparison is invalid')
  }
  await close()
  return results
})
