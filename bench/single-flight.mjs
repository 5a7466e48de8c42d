// Single-flight at scale against the demo server on loopback: N concurrent requests sent with an
// access token the server has revoked (POST /api/demo/expire-token). For each door of
// vue-refresh-auth (the ofetch instance, fetchWithAuth, axios with withAuth) and for
// axios + axios-auth-refresh (default options), count the refresh requests the server saw and the
// requests that succeeded, and time the burst against N plain requests plus one refresh round trip
// of the same client, measured in the same run.
import axios from 'axios'
import createAuthRefreshInterceptor from 'axios-auth-refresh'
import makeFetchCookie from 'fetch-cookie'
import { ofetch } from 'ofetch'
import { Bench } from 'tinybench'
import { CookieJar } from 'tough-cookie'
import { createDemoServer } from '../playground/server/app.js'
import { authOptions, log, section, signedInClient } from './helpers.mjs'

const SIZES = [1, 10, 100, 1000]
const roundsFor = (n) => (n >= 1000 ? 5 : 7)
const CREDENTIALS = { username: 'alice', password: 'alice-password' }

const demo = createDemoServer({ accessTtl: 3600 })

/** vue-refresh-auth's ofetch instance. */
async function oursClient(url) {
  const { api, store } = await signedInClient(authOptions(url))
  // The baseline: the same fetch, no library, the same header.
  const bare = (path) =>
    ofetch(path, {
      baseURL: `${url}/api`,
      headers: { Authorization: `Bearer ${store.accessToken}` },
    })
  return {
    name: 'vue-refresh-auth',
    request: (i) => api('/data', { query: { i } }),
    plain: (i) => bare(`/data?i=${i}`),
    refreshRoundTrip: () => ofetch.raw(`${url}/auth/refresh`, { method: 'POST' }),
    expire: () => api('/demo/expire-token', { method: 'POST' }),
    ensureSignedIn: async () => {
      if (!store.isAuthenticated) await store.login(CREDENTIALS)
    },
  }
}

/** fetchWithAuth, the fetch door, on the same session machinery. */
async function fetchDoorClient(url) {
  const { auth, store } = await signedInClient(authOptions(url))
  const send = async (input, init) => {
    const response = await init(input)
    if (!response.ok)
      throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status })
    return response.json()
  }
  return {
    name: 'fetchWithAuth',
    request: (i) => send(`${url}/api/data?i=${i}`, (u) => auth.fetchWithAuth(u)),
    plain: (i) =>
      send(`${url}/api/data?i=${i}`, (u) =>
        fetch(u, { headers: { Authorization: `Bearer ${store.accessToken}` } }),
      ),
    refreshRoundTrip: () => fetch(`${url}/auth/refresh`, { method: 'POST' }),
    expire: () => auth.fetchWithAuth(`${url}/api/demo/expire-token`, { method: 'POST' }),
    ensureSignedIn: async () => {
      if (!store.isAuthenticated) await store.login(CREDENTIALS)
    },
  }
}

/** axios with withAuth, the axios door: the session refreshes, axios only sends. */
async function axiosDoorClient(url) {
  const { auth, store } = await signedInClient(authOptions(url))
  const { withAuth } = await import('vue-refresh-auth/axios')
  const api = withAuth(axios.create({ baseURL: `${url}/api` }), auth)
  const plainApi = axios.create({ baseURL: `${url}/api` })
  return {
    name: 'axios + withAuth',
    request: (i) => api.get('/data', { params: { i } }),
    plain: (i) =>
      plainApi.get('/data', {
        params: { i },
        headers: { Authorization: `Bearer ${store.accessToken}` },
      }),
    refreshRoundTrip: () => fetch(`${url}/auth/refresh`, { method: 'POST' }),
    expire: () => api.post('/demo/expire-token'),
    ensureSignedIn: async () => {
      if (!store.isAuthenticated) await store.login(CREDENTIALS)
    },
  }
}

/**
 * axios + axios-auth-refresh as its README sets it up: default options, a refresh function that
 * posts to /auth/refresh and puts the new token on the failed request, and a request interceptor
 * that reads the current token (the README's advice for stalled requests). Node's axios has no
 * cookie jar, so a tough-cookie jar is read and written around the login and refresh calls.
 */
async function axiosClient(url) {
  const jar = new CookieJar()
  let token = null
  const cookieCall = async (path) => {
    const target = `${url}${path}`
    const response = await axios.post(target, path === '/auth/login' ? CREDENTIALS : null, {
      headers: { Cookie: await jar.getCookieString(target) },
    })
    for (const cookie of response.headers['set-cookie'] ?? []) await jar.setCookie(cookie, target)
    token = response.data.access_token
    return response
  }
  const api = axios.create({ baseURL: `${url}/api` })
  api.interceptors.request.use((config) => {
    config.headers.Authorization = `Bearer ${token}`
    return config
  })
  const refreshAuthLogic = (failedRequest) =>
    cookieCall('/auth/refresh').then(() => {
      failedRequest.response.config.headers.Authorization = `Bearer ${token}`
    })
  createAuthRefreshInterceptor(api, refreshAuthLogic)
  await cookieCall('/auth/login')
  const plainApi = axios.create({ baseURL: `${url}/api` })
  return {
    name: 'axios-auth-refresh',
    request: (i) => api.get('/data', { params: { i } }),
    plain: (i) =>
      plainApi.get('/data', { params: { i }, headers: { Authorization: `Bearer ${token}` } }),
    refreshRoundTrip: () => cookieCall('/auth/refresh'),
    expire: () => api.post('/demo/expire-token'),
    ensureSignedIn: async () => {
      // Reuse detection or a failed refresh may have ended the session in the previous round.
      const ok = await plainApi
        .get('/me', { headers: { Authorization: `Bearer ${token}` } })
        .then(() => true)
        .catch(() => false)
      if (!ok) await cookieCall('/auth/login')
    },
  }
}

const burst = (n, fn) => Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)))

async function measure(client, n) {
  const rounds = []
  const failures = new Set()
  let last = []
  const bench = new Bench({
    name: `${client.name} N=${n}`,
    time: 0,
    iterations: roundsFor(n),
    warmupIterations: 1,
    throws: true,
  })
  bench.add(
    'expired burst',
    async () => {
      last = await burst(n, client.request)
    },
    {
      beforeEach: async () => {
        await client.ensureSignedIn()
        await client.expire()
        demo.resetStats()
      },
      afterEach: async (mode) => {
        if (mode !== 'run') return
        // Let anything trailing the burst (a late refresh) reach the server's counters.
        await new Promise((resolve) => setTimeout(resolve, 20))
        const successes = last.filter((r) => r.status === 'fulfilled').length
        for (const { reason } of last.filter((r) => r.status === 'rejected')) {
          const status = reason?.response?.status ?? reason?.status
          failures.add(`${reason?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`)
        }
        rounds.push({ ...demo.stats, successes })
      },
    },
  )
  let plainFailures = 0
  bench.add('plain burst', async () => {
    const results = await burst(n, client.plain)
    plainFailures += results.filter((r) => r.status === 'rejected').length
  })
  await bench.run()
  if (plainFailures) throw new Error(`${client.name}: ${plainFailures} plain requests failed`)
  // One refresh round trip is short and cheap: time it over more samples than the bursts.
  const refresh = new Bench({ time: 150, iterations: 30, warmupIterations: 5, throws: true })
  // An async function: tinybench calls any other function once, unawaited, to see whether it
  // returns a promise, and a stray refresh would race this one and trip reuse detection.
  refresh.add('one refresh', async () => {
    await client.refreshRoundTrip()
  })
  await refresh.run()

  const [expiredMs, plainMs, refreshMs] = [...bench.tasks, ...refresh.tasks].map(
    (task) => task.result.latency.p50,
  )
  const range = (key) => [
    Math.min(...rounds.map((r) => r[key])),
    Math.max(...rounds.map((r) => r[key])),
  ]
  const result = {
    n,
    rounds: rounds.length,
    refreshes: range('refreshes'),
    successes: range('successes'),
    reuseDetections: range('reuseDetections')[1],
    apiRequests: range('apiRequests'),
    api401: range('api401'),
    failures: [...failures],
    expiredMs,
    plainMs,
    refreshMs,
    ratio: expiredMs / (plainMs + refreshMs),
  }
  log(
    `${client.name} N=${n}: refreshes ${result.refreshes.join('–')}, ` +
      `successes ${result.successes.join('–')}/${n}, ${expiredMs.toFixed(1)} ms vs ` +
      `${plainMs.toFixed(1)} + ${refreshMs.toFixed(1)} ms (×${result.ratio.toFixed(2)})`,
  )
  return result
}

section(async () => {
  const { url, close } = await demo.listen()
  // One cookie jar, playing the browser for the library's sessions: the library reads
  // globalThis.fetch when it sends, so the three doors' sessions share it, and are measured one
  // after another, so no two refreshes ever present the same cookie.
  globalThis.fetch = makeFetchCookie(globalThis.fetch, new CookieJar())
  const results = { ours: [], fetchDoor: [], axiosDoor: [], axios: [] }
  // axios-auth-refresh keeps its own jar; the clients are measured in turn at each N.
  const clients = [
    ['ours', await oursClient(url)],
    ['fetchDoor', await fetchDoorClient(url)],
    ['axiosDoor', await axiosDoorClient(url)],
    ['axios', await axiosClient(url)],
  ]
  for (const n of SIZES) {
    for (const [key, client] of clients) results[key].push(await measure(client, n))
  }
  await close()
  return results
})
