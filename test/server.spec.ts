// @vitest-environment node
import { randomUUID } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { parseSetCookie, serialize, type SetCookie } from 'cookie-es'
import { SignJWT, decodeJwt } from 'jose'
import { createDemoServer } from '../playground/server/app.js'
import { createMemoryStore } from '../playground/server/memory-store.js'
import { createRedisStore } from '../playground/server/redis-store.js'
import { useRedisServer } from './redis'

const secret = 'server-spec-secret-of-at-least-32-bytes'
const accessTtl = 60
const refreshTtl = 3600

let demo: ReturnType<typeof createDemoServer>
let server: Awaited<ReturnType<ReturnType<typeof createDemoServer>['listen']>>

// Every test but the clock's runs once with each store: the Redis one must behave as the memory one.
const redis = useRedisServer()
const stores = [
  { name: 'memory', create: () => createMemoryStore() },
  {
    name: 'Redis',
    create: () => createRedisStore({ url: redis.url, prefix: `server-spec:${randomUUID()}:` }),
  },
]

function post(path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(server.url + path, { headers })
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` }
}

function refreshCookieOf(res: Response): SetCookie | undefined {
  return res.headers
    .getSetCookie()
    .map((header) => parseSetCookie(header))
    .find((cookie) => cookie.name === 'refresh_token')
}

/** The `cookie` request header a browser would send back for the response's refresh cookie. */
function cookieFrom(res: Response) {
  const cookie = refreshCookieOf(res)
  if (!cookie) throw new Error('response set no refresh_token cookie')
  return { cookie: serialize(cookie.name, cookie.value) }
}

async function login(username = 'alice') {
  const res = await post('/auth/login', { username, password: `${username}-password` })
  expect(res.status).toBe(200)
  const body = await res.json()
  return { body, cookie: cookieFrom(res), accessToken: body.access_token as string }
}

function refresh(cookie: { cookie: string }) {
  return post('/auth/refresh', undefined, cookie)
}

function signAccessToken(claims: { exp: number; jti: string }, key = secret) {
  return new SignJWT({ name: 'Alice', roles: ['user'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('alice')
    .setIssuer('vue-refresh-auth-demo')
    .setIssuedAt(claims.exp - accessTtl)
    .setExpirationTime(claims.exp)
    .setJti(claims.jti)
    .sign(new TextEncoder().encode(key))
}

describe.each(stores)('with the $name store', ({ create }) => {
  beforeAll(async () => {
    demo = createDemoServer({ secret, accessTtl, refreshTtl, store: create() })
    server = await demo.listen({ port: 0 })
  })

  afterAll(async () => {
    await server.close()
    await demo.store.close()
  })

  describe('login', () => {
    it('returns an access token and sets an HttpOnly refresh cookie scoped to /auth', async () => {
      const res = await post('/auth/login', { username: 'alice', password: 'alice-password' })
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body).toMatchObject({
        token_type: 'Bearer',
        expires_in: accessTtl,
        user: { id: 'alice', name: 'Alice', roles: ['user'] },
      })

      const claims = decodeJwt(body.access_token)
      expect(claims).toMatchObject({
        sub: 'alice',
        name: 'Alice',
        roles: ['user'],
        iss: 'vue-refresh-auth-demo',
      })
      expect(claims.jti).toEqual(expect.any(String))
      expect(claims.exp! - claims.iat!).toBe(accessTtl)

      const cookie = refreshCookieOf(res)
      expect(cookie).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
        path: '/auth',
        maxAge: refreshTtl,
      })
      expect(cookie?.secure).toBeFalsy()
      expect(cookie?.value.length).toBeGreaterThan(30)
    })

    it('marks the cookie Secure when the request came through https', async () => {
      const res = await post(
        '/auth/login',
        { username: 'admin', password: 'admin-password' },
        { 'x-forwarded-proto': 'https' },
      )
      expect((await res.json()).user).toEqual({
        id: 'admin',
        name: 'Ada Admin',
        roles: ['user', 'admin'],
      })
      expect(refreshCookieOf(res)?.secure).toBe(true)
    })

    it('rejects a wrong password with 401 invalid_credentials and sets no cookie', async () => {
      const res = await post('/auth/login', { username: 'alice', password: 'nope' })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        error: 'invalid_credentials',
        message: 'Wrong username or password.',
      })
      expect(refreshCookieOf(res)).toBeUndefined()
    })

    it('rejects missing fields with 400 invalid_request', async () => {
      const res = await post('/auth/login', { username: 'alice' })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_request' })
    })

    it('answers malformed JSON with 400 in the same error shape', async () => {
      const res = await fetch(`${server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":',
      })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_request' })
    })
  })

  describe('protected API', () => {
    it('answers /api/me for a valid access token', async () => {
      const { accessToken } = await login()
      const res = await get('/api/me', bearer(accessToken))
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id: 'alice', name: 'Alice', roles: ['user'] })
    })

    it('answers /api/data and echoes /api/echo for the caller', async () => {
      const { accessToken } = await login()
      const data = await (await get('/api/data', bearer(accessToken))).json()
      expect(data.user).toBe('alice')
      expect(data.items.length).toBeGreaterThan(0)
      expect(Number.isNaN(Date.parse(data.at))).toBe(false)

      const echo = await post('/api/echo', { hello: 'world' }, bearer(accessToken))
      expect(await echo.json()).toEqual({ body: { hello: 'world' }, user: 'alice' })
    })

    it('rejects a request without a token with 401 invalid_token and WWW-Authenticate', async () => {
      const res = await get('/api/me')
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
      expect(await res.json()).toMatchObject({ error: 'invalid_token' })
    })

    it('rejects a token signed with another key', async () => {
      const forged = await signAccessToken(
        { exp: Math.floor(Date.now() / 1000) + 60, jti: 'forged' },
        'some-other-secret-of-at-least-32-bytes',
      )
      const res = await get('/api/me', bearer(forged))
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'invalid_token', message: 'Invalid access token.' })
    })

    it('rejects an expired access token with 401 invalid_token', async () => {
      const expired = await signAccessToken({ exp: Math.floor(Date.now() / 1000) - 1, jti: 'old' })
      const res = await get('/api/me', bearer(expired))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
      expect(await res.json()).toEqual({
        error: 'invalid_token',
        message: 'The access token expired.',
      })
    })

    it('counts a request with a genuine but expired token apart from other 401s', async () => {
      demo.resetStats()
      const expired = await signAccessToken({ exp: Math.floor(Date.now() / 1000) - 1, jti: 'late' })
      await get('/api/me', bearer(expired))
      await get('/api/me', bearer('not-a-token'))
      expect(demo.stats).toMatchObject({ api401: 2, expiredTokenRequests: 1 })
    })

    it('rejects an access token after /api/demo/expire-token revoked it', async () => {
      const { accessToken } = await login()
      const expire = await post('/api/demo/expire-token', undefined, bearer(accessToken))
      expect(expire.status).toBe(200)
      const res = await get('/api/me', bearer(accessToken))
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'invalid_token' })
    })

    it('counts API requests and 401s, and resets the counters on request', async () => {
      demo.resetStats()
      const { accessToken } = await login()
      await get('/api/me', bearer(accessToken))
      await get('/api/me')
      const stats = await (await get('/api/demo/stats')).json()
      expect(stats).toMatchObject({ logins: 1, apiRequests: 2, api401: 1 })

      const reset = await post('/api/demo/stats/reset')
      expect(await reset.json()).toMatchObject({ logins: 0, apiRequests: 0, api401: 0 })
      expect(demo.stats.logins).toBe(0)
    })
  })

  describe('refresh (cookie mode)', () => {
    it('rotates the refresh token and returns a new access token', async () => {
      const { cookie } = await login()
      const res = await refresh(cookie)
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: accessTtl })
      expect((await get('/api/me', bearer(body.access_token))).status).toBe(200)

      const next = cookieFrom(res)
      expect(next.cookie).not.toBe(cookie.cookie)
      expect(refreshCookieOf(res)).toMatchObject({
        httpOnly: true,
        path: '/auth',
        maxAge: refreshTtl,
      })
    })

    it('detects reuse of a rotated token and revokes the whole family', async () => {
      demo.resetStats()
      const { cookie } = await login()
      const rotated = cookieFrom(await refresh(cookie))

      const replay = await refresh(cookie)
      expect(replay.status).toBe(401)
      expect(await replay.json()).toEqual({
        error: 'invalid_grant',
        message: 'Refresh token reuse detected; the session was revoked.',
      })
      expect(refreshCookieOf(replay)).toMatchObject({ value: '', maxAge: 0, path: '/auth' })

      const afterRevoke = await refresh(rotated)
      expect(afterRevoke.status).toBe(401)
      expect(await afterRevoke.json()).toMatchObject({ error: 'invalid_grant' })
      expect(demo.stats).toMatchObject({ refreshes: 3, refreshRejected: 2, reuseDetections: 1 })
    })

    it('lets only one of two concurrent refreshes with the same token win', async () => {
      const { cookie } = await login()
      const statuses = (await Promise.all([refresh(cookie), refresh(cookie)])).map((r) => r.status)
      expect(statuses.sort()).toEqual([200, 401])
    })

    it('rejects a missing or unknown refresh token with 401 invalid_grant', async () => {
      const missing = await post('/auth/refresh')
      expect(missing.status).toBe(401)
      expect(await missing.json()).toMatchObject({ error: 'invalid_grant' })

      const unknown = await refresh({ cookie: serialize('refresh_token', 'not-a-real-token') })
      expect(unknown.status).toBe(401)
      expect(await unknown.json()).toMatchObject({ error: 'invalid_grant' })
    })

    it('rejects every refresh token once the store is cleared, as after a restart', async () => {
      const { cookie } = await login()
      await demo.store.clear()
      const res = await refresh(cookie)
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'invalid_grant' })
    })
  })

  describe('logout', () => {
    it('revokes the session and clears the cookie', async () => {
      const { cookie } = await login()
      const res = await post('/auth/logout', undefined, cookie)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ ok: true })
      expect(refreshCookieOf(res)).toMatchObject({ value: '', maxAge: 0, path: '/auth' })

      expect((await refresh(cookie)).status).toBe(401)
    })

    it('answers 200 without a cookie', async () => {
      const res = await post('/auth/logout')
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ ok: true })
    })

    it('revokes only the current session by default', async () => {
      const first = await login()
      const second = await login()
      await post('/auth/logout', undefined, first.cookie)
      expect((await refresh(second.cookie)).status).toBe(200)
    })

    it('revokes every session of the user with { everywhere: true }', async () => {
      const first = await login()
      const second = await login()
      const admin = await login('admin')

      const res = await post('/auth/logout', { everywhere: true }, first.cookie)
      expect(res.status).toBe(200)

      expect((await refresh(first.cookie)).status).toBe(401)
      expect((await refresh(second.cookie)).status).toBe(401)
      expect((await refresh(admin.cookie)).status).toBe(200)
    })
  })

  describe('body mode', () => {
    it('returns the refresh token in JSON and rotates it on each refresh', async () => {
      const loginRes = await post('/body/auth/login', {
        username: 'alice',
        password: 'alice-password',
      })
      expect(loginRes.status).toBe(200)
      expect(refreshCookieOf(loginRes)).toBeUndefined()
      const first = (await loginRes.json()).refresh_token
      expect(first).toEqual(expect.any(String))

      const one = await post('/body/auth/refresh', { refresh_token: first })
      expect(one.status).toBe(200)
      const second = (await one.json()).refresh_token

      const two = await post('/body/auth/refresh', { refresh_token: second })
      expect(two.status).toBe(200)
      const body = await two.json()
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: accessTtl })
      const third = body.refresh_token
      expect(new Set([first, second, third]).size).toBe(3)

      const replay = await post('/body/auth/refresh', { refresh_token: first })
      expect(replay.status).toBe(401)
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' })
      expect((await post('/body/auth/refresh', { refresh_token: third })).status).toBe(401)
    })

    it('revokes the session on logout', async () => {
      const loginRes = await post('/body/auth/login', {
        username: 'alice',
        password: 'alice-password',
      })
      const { refresh_token } = await loginRes.json()
      const res = await post('/body/auth/logout', { refresh_token })
      expect(await res.json()).toEqual({ ok: true })
      expect((await post('/body/auth/refresh', { refresh_token })).status).toBe(401)
    })
  })

  describe('fault injection', () => {
    it('answers a queued 503 with Retry-After and leaves the token usable', async () => {
      const { cookie } = await login()
      demo.faults.refresh.push({ status: 503, retryAfter: 0 })

      const res = await refresh(cookie)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('0')
      expect(await res.json()).toMatchObject({ error: 'unavailable' })

      expect((await refresh(cookie)).status).toBe(200)
      expect(demo.faults.refresh).toHaveLength(0)
    })

    it('drops the connection without answering and leaves the token usable', async () => {
      const { cookie } = await login()
      demo.faults.refresh.push({ drop: true })

      await expect(refresh(cookie)).rejects.toThrow()
      expect((await refresh(cookie)).status).toBe(200)
    })

    it('cuts a response off mid-body after rotating, with the new cookie already in the headers', async () => {
      const { cookie } = await login()
      demo.faults.refresh.push({ truncate: true })

      const res = await refresh(cookie)
      expect(res.status).toBe(200)
      expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0)
      await expect(res.text()).rejects.toThrow()

      expect((await refresh(cookieFrom(res))).status).toBe(200)
    })

    it('loses a body-mode token in a cut-off response, so retrying the old one is reuse', async () => {
      const loginRes = await post('/body/auth/login', {
        username: 'alice',
        password: 'alice-password',
      })
      const { refresh_token } = await loginRes.json()
      demo.faults.refresh.push({ truncate: true })

      const res = await post('/body/auth/refresh', { refresh_token })
      await expect(res.text()).rejects.toThrow()

      const retry = await post('/body/auth/refresh', { refresh_token })
      expect(retry.status).toBe(401)
      expect(await retry.json()).toEqual({
        error: 'invalid_grant',
        message: 'Refresh token reuse detected; the session was revoked.',
      })
    })

    it('acts late with delayMs: a refresh sent meanwhile with the same cookie rotates first', async () => {
      const { cookie } = await login()
      demo.resetStats()
      demo.faults.refresh.push({ delayMs: 300 })
      const delayed = refresh(cookie)
      await expect.poll(() => demo.stats.refreshes).toBe(1)
      expect((await refresh(cookie)).status).toBe(200)
      // The delayed one presents a token that has been used meanwhile.
      expect((await delayed).status).toBe(401)
    })

    it('answers late with lateMs: the token is issued at once, so a refresh sent meanwhile is reuse', async () => {
      const { cookie } = await login()
      demo.resetStats()
      demo.faults.refresh.push({ lateMs: 300 })
      const late = refresh(cookie)
      const presented = cookie.cookie.split('=')[1]!
      await expect.poll(async () => (await demo.store.findToken(presented))?.record.used).toBe(true)
      expect((await refresh(cookie)).status).toBe(401)
      expect((await late).status).toBe(200)
      expect(demo.stats.reuseDetections).toBe(1)
    })

    it('applies queued API faults to protected routes', async () => {
      const { accessToken } = await login()
      demo.faults.api.push({ status: 500 })
      const res = await get('/api/me', bearer(accessToken))
      expect(res.status).toBe(500)
      expect(await res.json()).toMatchObject({ error: 'unavailable' })
      expect((await get('/api/me', bearer(accessToken))).status).toBe(200)
    })
  })
})

describe('a server whose clock is off', () => {
  it('issues, checks and dates tokens on its own clock', async () => {
    const offset = 10 * 60_000
    const skewed = createDemoServer({ secret, accessTtl: 20, clockOffset: offset })
    const { url, close } = await skewed.listen()
    try {
      const res = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      })
      const { access_token: token } = await res.json()
      const { iat, exp } = decodeJwt(token)
      const serverNow = Date.now() + offset
      expect(Math.abs(iat! * 1000 - serverNow)).toBeLessThan(5_000)
      expect(exp! - iat!).toBe(20)
      expect(Math.abs(Date.parse(res.headers.get('date')!) - serverNow)).toBeLessThan(5_000)
      // Valid on the server's clock, although its exp is 10 minutes ahead of the machine's.
      const me = await fetch(`${url}/api/me`, { headers: bearer(token) })
      expect(me.status).toBe(200)
    } finally {
      await close()
    }
  })
})
