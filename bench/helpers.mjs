// Shared by the benchmark sections. Each section runs in its own Node process (started by
// bench/run.mjs) so that NODE_ENV, --expose-gc and DOM globals never leak from one into another.

/** Median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An unsigned JWT: the library only decodes tokens, it never verifies them. */
export function jwt(claims) {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`
}

const json = (status, body) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/**
 * An in-process API answering immediately with canned responses: login and refresh issue a new
 * token (valid for an hour), API routes answer 200 for the current token and 401 otherwise.
 */
export function createCannedApi() {
  let serial = 0
  let current = null
  const counts = { refresh: 0, api: 0, api401: 0 }
  const issue = () => {
    const now = Math.floor(Date.now() / 1000)
    current = jwt({
      sub: 'alice',
      jti: String(++serial),
      roles: ['user'],
      iat: now,
      exp: now + 3600,
    })
    return { access_token: current, expires_in: 3600 }
  }
  /** @type {typeof fetch} */
  const fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url
    // Relative URLs resolve against the page, as a browser's fetch does.
    const path = new URL(url, globalThis.location?.href).pathname
    if (path === '/auth/login') return json(200, issue())
    if (path === '/auth/refresh') {
      counts.refresh++
      return json(200, issue())
    }
    if (path === '/auth/logout') return json(200, { ok: true })
    counts.api++
    // axios' fetch adapter sends a Request, the others a URL and init.
    const headers = init.headers ?? (input instanceof Request ? input.headers : undefined)
    const authorization = new Headers(headers).get('authorization')
    if (current && authorization === `Bearer ${current}`) return json(200, { ok: true })
    counts.api401++
    return json(401, { error: 'invalid_token' })
  }
  return {
    fetch,
    counts,
    /** Rejects every token issued so far, as the demo server's expire-token does. */
    revoke() {
      current = null
    },
  }
}

/** Auth options for a server at `url`, as the integration tests configure them. */
export function authOptions(url, extra = {}) {
  return {
    baseURL: `${url}/api`,
    restore: false,
    endpoints: {
      login: `POST ${url}/auth/login`,
      refresh: `POST ${url}/auth/refresh`,
      logout: `POST ${url}/auth/logout`,
    },
    ...extra,
  }
}

/**
 * A real Vue app with a real Pinia and the plugin from the built package, signed in as alice.
 * The library reads `globalThis.fetch` at call time, so install the fetch to use first.
 */
export async function signedInClient(options) {
  const [{ createApp, defineComponent, h }, { createPinia }, { createAuth, useAuthFetch }] =
    await Promise.all([import('vue'), import('pinia'), import('vue-refresh-auth')])
  const app = createApp(defineComponent({ render: () => h('div') }))
  const auth = createAuth(options)
  app.use(createPinia()).use(auth)
  await auth.store.login({ username: 'alice', password: 'alice-password' })
  const api = app.runWithContext(() => useAuthFetch())
  if (api !== auth.fetch) throw new Error('useAuthFetch() is not the fetch of createAuth()')
  return { app, auth, store: auth.store, api }
}

/** Runs a section and prints its result as the last stdout line, as JSON, for bench/run.mjs. */
export async function section(run) {
  try {
    const result = await run()
    process.stdout.write(`\n${JSON.stringify(result)}\n`)
    // Sessions keep a proactive-refresh timer and keep-alive sockets stay open: do not wait on them.
    process.exit(0)
  } catch (error) {
    console.error(error)
    process.exit(1)
  }
}

/** Progress goes to stderr, so stdout carries only the result. */
export const log = (...args) => console.error('  ', ...args)
