import type { RequestHandler } from 'msw'
import { AuthError } from '../errors'
import { pageOrigin } from '../env'
import { createFakeSessions } from './fakeSessions'
import { createFaults } from './faults'
import { json, randomId, readBody } from './http'
import { loadMsw } from './msw'
import type {
  FakeAuthServer,
  FakeAuthServerOptions,
  FakeAuthServerStats,
  FakeClient,
  FakeRequest,
  FakeRouteHandler,
} from './types'

const emptyStats = (): FakeAuthServerStats => ({
  logins: 0,
  loginFailures: 0,
  refreshes: 0,
  refreshRejected: 0,
  reuseDetections: 0,
  logouts: 0,
  apiRequests: 0,
  unauthorized: 0,
  expiredTokenRequests: 0,
})

const csrfFailed = () => json(403, { error: 'csrf', message: 'CSRF check failed.' })

/** What the server records of a request: its JSON body parsed, else its text. */
async function record(request: Request, url: URL): Promise<FakeRequest> {
  const text = request.body ? await request.clone().text() : ''
  let body: unknown = undefined
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = text
  }
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? null
  const { href, pathname: path } = url
  return {
    method: request.method.toUpperCase(),
    url: href,
    path,
    token,
    headers: request.headers,
    body,
  }
}

/**
 * An in-memory backend that speaks the protocol the plugin's defaults expect, for tests: users
 * with passwords and roles, access tokens on the test's clock (fake timers included), refresh-token
 * rotation with reuse detection that revokes the session, cookie or body mode, CSRF, logout and
 * logout everywhere, the app's own routes behind the token check, and faults.
 *
 * @example
 * ```ts
 * const server = createFakeAuthServer({ users: [{ username: 'alice', password: 'pw' }] })
 * server.route('GET', '/api/items', () => ['a', 'b'])
 * vi.stubGlobal('fetch', server.fetch)
 * ```
 */
export function createFakeAuthServer(options: FakeAuthServerOptions = {}): FakeAuthServer {
  const {
    users = [{ username: 'alice', password: 'alice-password', roles: ['user'] }],
    accessTtl = 60,
    refreshTtl = 7 * 24 * 60 * 60,
    refresh: mode = 'cookie',
    csrf,
    origin = pageOrigin() ?? 'http://localhost',
    authPath = '/auth',
  } = options
  const stats = emptyStats()
  const requests: FakeRequest[] = []
  const faults = createFaults()
  const routes: { method: string; path: string | RegExp; handler: FakeRouteHandler }[] = []
  const sessions = createFakeSessions({ users, accessTtl, refreshTtl, mode, stats })

  const csrfRefused = (request: Request, cookies: Map<string, string>) =>
    !!csrf &&
    (!cookies.get(csrf.cookie) || request.headers.get(csrf.header) !== cookies.get(csrf.cookie))
  const presented = async (request: Request, cookies: Map<string, string>) =>
    mode === 'body' ? (await readBody(request)).refresh_token : cookies.get('refresh_token')

  /** The auth endpoints, by path: undefined for any other request. */
  function authEndpoint(method: string, path: string, token: string | null) {
    const post = method === 'POST'
    if (post && path === `${authPath}/login`) {
      return (request: Request, cookies: Map<string, string>) =>
        faults.apply(['login'], async () => {
          const { username, password } = await readBody(request)
          const answer = sessions.login(username, password, cookies)
          if (!answer) {
            stats.loginFailures++
            return json(401, {
              error: 'invalid_credentials',
              message: 'Wrong username or password.',
            })
          }
          stats.logins++
          if (csrf) {
            const value = randomId()
            cookies.set(csrf.cookie, value)
            if (typeof document !== 'undefined') document.cookie = `${csrf.cookie}=${value}; path=/`
          }
          return json(200, answer)
        })
    }
    if (post && path === `${authPath}/refresh`) {
      stats.refreshes++
      return (request: Request, cookies: Map<string, string>) =>
        faults.apply(['refresh'], async () => {
          if (csrfRefused(request, cookies)) return csrfFailed()
          const answer = sessions.rotate(await presented(request, cookies), cookies)
          if (answer.status !== 200 && mode === 'cookie') cookies.delete('refresh_token')
          return answer
        })
    }
    if (post && path === `${authPath}/logout`) {
      stats.logouts++
      return (request: Request, cookies: Map<string, string>) =>
        faults.apply(['logout'], async () => {
          if (csrfRefused(request, cookies)) return csrfFailed()
          const { everywhere } = await readBody(request)
          sessions.logout(await presented(request, cookies), everywhere === true)
          cookies.delete('refresh_token')
          return json(200, { ok: true })
        })
    }
    if (method === 'GET' && path === `${authPath}/me`) {
      stats.apiRequests++
      return () =>
        faults.apply(['user'], async () => {
          const claims = sessions.authorize(token)
          if (claims instanceof Response) return claims
          const user = sessions.userOf(claims.sub)
          return user ? json(200, sessions.profile(user)) : json(404, { error: 'not_found' })
        })
    }
  }

  async function answer(request: Request, cookies: Map<string, string>): Promise<Response> {
    const url = new URL(request.url)
    const seen = await record(request, url)
    requests.push(seen)
    const { method, path, token } = seen
    if (url.origin !== origin) return json(404, { error: 'not_found', message: `Not ${origin}.` })
    const auth = authEndpoint(method, path, token)
    if (auth) return auth(request, cookies)
    const route = routes.find(
      (r) =>
        (r.method === '*' || r.method === method) &&
        (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
    )
    if (!route) return json(404, { error: 'not_found', message: `No route ${method} ${path}.` })
    stats.apiRequests++
    return faults.apply([typeof route.path === 'string' ? route.path : '', 'api'], async () => {
      const claims = sessions.authorize(token)
      if (claims instanceof Response) return claims
      const result = await route.handler(request, claims)
      return result instanceof Response ? result : json(200, result ?? null)
    })
  }

  /**
   * As a browser's fetch does, a request whose signal aborts rejects at once with the signal's
   * reason (Fetch, "abort the fetch() call"), even while a fault delays its answer: a client's
   * timeout works against the fake server as against a real one.
   */
  function abortable(response: Promise<Response>, signal: AbortSignal): Promise<Response> {
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const abort = () => reject(signal.reason)
      signal.addEventListener('abort', abort, { once: true })
      response.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
    })
  }

  function client(): FakeClient {
    const cookies = new Map<string, string>()
    const clientFetch: typeof fetch = (input, init) => {
      const request =
        input instanceof Request
          ? new Request(input, init)
          : new Request(new URL(String(input), origin), init)
      return abortable(answer(request, cookies), request.signal)
    }
    return { fetch: clientFetch, cookies }
  }

  const main = client()
  let handlers: RequestHandler[] | undefined
  const server: FakeAuthServer = {
    origin,
    fetch: main.fetch,
    cookies: main.cookies,
    client,
    get handlers() {
      const msw = loadMsw()
      if (!msw) {
        throw new AuthError(
          'misconfigured',
          'server.handlers needs msw: install it (npm i -D msw), or use server.fetch with vi.stubGlobal("fetch", server.fetch).',
        )
      }
      const prefix = new RegExp(`^${origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`)
      return (handlers ??= [
        msw.http.all(prefix, ({ request }: { request: Request }) => server.handle(request)),
      ])
    },
    handle: (request) => answer(request, main.cookies),
    route(method, path, handler) {
      routes.push({ method: method.toUpperCase(), path, handler })
      return server
    },
    fail(endpoint, fault) {
      faults.add(endpoint, fault)
      return server
    },
    expireAccessTokens: sessions.expireAll,
    revoke: sessions.revokeUser,
    stats,
    requests,
    resetStats() {
      Object.assign(stats, emptyStats())
      requests.length = 0
      faults.clear()
    },
  }
  return server
}
