// @vitest-environment node
// The Redis token store: held to the memory store's behaviour, then two demo servers sharing one
// Redis behind one origin, as a load balancer would run them.
import { createHash, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, request } from 'node:http'
import { parseSetCookie, serialize } from 'cookie-es'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDemoServer } from '../playground/server/app.js'
import { createMemoryStore } from '../playground/server/memory-store.js'
import { createRedisStore } from '../playground/server/redis-store.js'
import type { StoreOptions, TokenStore } from '../playground/server/store.js'
import { freePort, useRedisServer } from './redis'

const redis = useRedisServer()
const secret = 'redis-spec-secret-of-at-least-32-bytes'
const alice = { username: 'alice', password: 'alice-password' }

/** Closed after each test, last opened first. */
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** A Redis store under a prefix of its own, so no test sees another's keys. */
function redisStore(prefix = `test:${randomUUID()}:`, options: StoreOptions = {}) {
  const store = createRedisStore({ url: redis.url, prefix, ...options })
  cleanups.push(() => store.close())
  return store
}

const stores: { name: string; create: (options: StoreOptions) => TokenStore }[] = [
  { name: 'memory', create: (options) => createMemoryStore(options) },
  { name: 'Redis', create: (options) => redisStore(undefined, options) },
]

describe.each(stores)('the $name token store', ({ create }) => {
  let clock: number
  let store: TokenStore

  beforeEach(() => {
    clock = Date.now()
    store = create({ now: () => clock })
  })

  async function login(userId = 'alice') {
    const family = await store.createFamily(userId)
    return { family, first: await store.issueToken(family.id, 60) }
  }

  it('issues a token that it finds again with its family', async () => {
    const { family, first } = await login()
    expect(family).toEqual({ id: expect.any(String), userId: 'alice', revoked: false })
    expect(first).toEqual({
      token: expect.any(String),
      familyId: family.id,
      userId: 'alice',
      expiresAt: clock + 60_000,
      used: false,
    })
    expect(await store.findToken(first.token)).toEqual({ record: first, family })
    expect(await store.findToken('not-a-token')).toBeUndefined()
  })

  it('refuses to issue a token into a family it does not know', async () => {
    await expect(store.issueToken(randomUUID(), 60)).rejects.toThrow(/Unknown token family/)
  })

  it('rotates a token into the next one of its family and marks it used', async () => {
    const { family, first } = await login()
    const second = await store.rotate(first.token, 30)
    expect(second).toEqual({
      token: expect.any(String),
      familyId: family.id,
      userId: 'alice',
      expiresAt: clock + 30_000,
      used: false,
    })
    expect('token' in second && second.token).not.toBe(first.token)
    expect((await store.findToken(first.token))?.record.used).toBe(true)
  })

  it('revokes the family when a used token comes back (RFC 9700)', async () => {
    const { first } = await login()
    const second = await store.rotate(first.token, 60)
    if (!('token' in second)) throw new Error('the first rotation failed')

    expect(await store.rotate(first.token, 60)).toEqual({ rejected: 'reused' })
    expect(await store.rotate(second.token, 60)).toEqual({ rejected: 'revoked' })
    expect((await store.findToken(second.token))?.family.revoked).toBe(true)
  })

  it('redeems a token exactly once among 50 concurrent rotations, and revokes the family', async () => {
    const { first } = await login()
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.rotate(first.token, 60)),
    )
    const winners = results.filter((result) => 'token' in result)
    expect(winners).toHaveLength(1)
    const reasons = results.flatMap((result) => ('rejected' in result ? [result.rejected] : []))
    expect(reasons).toHaveLength(49)
    expect(reasons).toContain('reused')
    expect(reasons.every((reason) => reason === 'reused' || reason === 'revoked')).toBe(true)
    expect(await store.rotate(winners[0]!.token, 60)).toEqual({ rejected: 'revoked' })
  })

  it('refuses an expired token without revoking its family, and a used one as reuse', async () => {
    const { family, first } = await login()
    const second = await store.rotate(first.token, 60)
    if (!('token' in second)) throw new Error('the first rotation failed')
    clock += 61_000
    expect(await store.rotate(second.token, 60)).toEqual({ rejected: 'expired' })
    expect((await store.findToken(second.token))?.family.revoked).toBe(false)

    expect(await store.rotate(first.token, 60)).toEqual({ rejected: 'reused' })
    expect((await store.findToken(second.token))?.family).toEqual({ ...family, revoked: true })
  })

  it('refuses an unknown token', async () => {
    expect(await store.rotate('not-a-token', 60)).toEqual({ rejected: 'unknown' })
  })

  it('revokes one family', async () => {
    const one = await login()
    const other = await login()
    await store.revokeFamily(one.family.id)
    await store.revokeFamily(randomUUID())
    expect(await store.rotate(one.first.token, 60)).toEqual({ rejected: 'revoked' })
    expect(await store.rotate(other.first.token, 60)).toHaveProperty('token')
  })

  it("revokes every live family of one user and says how many, leaving other users' alone", async () => {
    const one = await login()
    const two = await login()
    const revokedBefore = await login()
    await store.revokeFamily(revokedBefore.family.id)
    const admin = await login('admin')

    expect(await store.revokeUserFamilies('alice')).toBe(2)
    expect(await store.revokeUserFamilies('alice')).toBe(0)
    expect(await store.revokeUserFamilies('nobody')).toBe(0)
    for (const { first } of [one, two]) {
      expect(await store.rotate(first.token, 60)).toEqual({ rejected: 'revoked' })
    }
    expect(await store.rotate(admin.first.token, 60)).toHaveProperty('token')
  })

  it('remembers a revoked access token id until the token expires', async () => {
    await store.revokeAccessToken('jti-1', clock + 60_000)
    expect(await store.isAccessTokenRevoked('jti-1')).toBe(true)
    expect(await store.isAccessTokenRevoked('jti-2')).toBe(false)
  })

  it('forgets everything on clear()', async () => {
    const { first } = await login()
    await store.revokeAccessToken('jti-1', clock + 60_000)
    await store.clear()
    expect(await store.findToken(first.token)).toBeUndefined()
    expect(await store.rotate(first.token, 60)).toEqual({ rejected: 'unknown' })
    expect(await store.isAccessTokenRevoked('jti-1')).toBe(false)
  })
})

describe('the Redis store in Redis', () => {
  function client() {
    const raw = new Redis(redis.url)
    cleanups.push(() => raw.quit())
    return raw
  }

  async function keysUnder(raw: Redis, prefix: string) {
    return (await raw.keys(`${prefix}*`)).sort()
  }

  it('keeps SHA-256 hashes, never a token, and lets every key expire with its tokens', async () => {
    const prefix = `test:${randomUUID()}:`
    const store = redisStore(prefix)
    const family = await store.createFamily('alice')
    const first = await store.issueToken(family.id, 60)
    const second = await store.rotate(first.token, 120)
    if (!('token' in second)) throw new Error('the rotation failed')

    const raw = client()
    const keys = await keysUnder(raw, prefix)
    expect(keys).toHaveLength(4) // the family, the user's set of families, two tokens
    const contents = JSON.stringify(
      await Promise.all(
        keys.map(async (key) =>
          (await raw.type(key)) === 'set' ? raw.smembers(key) : raw.hgetall(key),
        ),
      ),
    )
    expect(contents).toContain(family.id)
    for (const { token } of [first, second]) {
      expect(contents).not.toContain(token)
      const hash = createHash('sha256').update(token).digest('base64url')
      expect(keys).toContain(`${prefix}token:${hash}`)
    }
    for (const key of keys) {
      const ttl = await raw.pttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(120_000)
    }
    // The family outlives its first token: it lasts as long as the newest one.
    expect(await raw.pttl(`${prefix}family:${family.id}`)).toBeGreaterThan(60_000)
  })

  it('clears only its own prefix', async () => {
    const mine = redisStore()
    const prefix = `test:${randomUUID()}:`
    const theirs = redisStore(prefix)
    const family = await theirs.createFamily('alice')
    const token = await theirs.issueToken(family.id, 60)
    await mine.clear()
    expect(await theirs.findToken(token.token)).toMatchObject({ record: { used: false } })
    expect(await keysUnder(client(), prefix)).toHaveLength(3)
  })

  it('sends a script again when Redis has forgotten it (a restart, SCRIPT FLUSH)', async () => {
    const store = redisStore()
    const family = await store.createFamily('alice')
    const first = await store.issueToken(family.id, 60)
    await client().script('FLUSH')
    expect(await store.rotate(first.token, 60)).toHaveProperty('token')
  })
})

/** Two demo servers behind one origin: a round-robin proxy that names the instance it chose. */
async function startPair(store: () => TokenStore) {
  const demos = [0, 1].map(() => createDemoServer({ secret, store: store() }))
  const instances = await Promise.all(demos.map((demo) => demo.listen()))
  for (const instance of instances) cleanups.push(instance.close)
  let next = 0
  const proxy = createServer((req, res) => {
    const index = next++ % instances.length
    const upstream = request(
      new URL(req.url!, instances[index]!.url),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, { ...answer.headers, 'x-demo-instance': String(index) })
        answer.pipe(res)
      },
    )
    upstream.on('error', (error) => res.destroy(error))
    req.pipe(upstream)
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  cleanups.push(
    () =>
      new Promise((resolve) => {
        proxy.close(resolve)
        proxy.closeAllConnections()
      }),
  )
  const { port } = proxy.address() as import('node:net').AddressInfo
  return { demos, instances, origin: `http://127.0.0.1:${port}` }
}

function post(url: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

/** The `cookie` header a browser would send back for the response's refresh cookie. */
function cookieFrom(res: Response) {
  const cookie = res.headers
    .getSetCookie()
    .map((header) => parseSetCookie(header))
    .find(({ name, value }) => name === 'refresh_token' && value !== '')
  if (!cookie) throw new Error(`response ${res.status} set no refresh_token cookie`)
  return { cookie: serialize(cookie.name, cookie.value) }
}

const instanceOf = (res: Response) => res.headers.get('x-demo-instance')

async function login(origin: string, credentials = alice) {
  const res = await post(`${origin}/auth/login`, credentials)
  expect(res.status).toBe(200)
  const body = await res.json()
  return { res, cookie: cookieFrom(res), accessToken: body.access_token as string }
}

describe('two demo servers sharing one Redis behind one origin', () => {
  const sharedRedis = () => {
    const prefix = `test:${randomUUID()}:`
    return () => redisStore(prefix)
  }

  it('rotates through 200 refreshes that alternate between the instances, with no reuse', async () => {
    const { demos, origin } = await startPair(sharedRedis())
    let { cookie } = await login(origin)
    const seen = new Set([cookie.cookie])
    const served: (string | null)[] = []
    for (let i = 0; i < 200; i++) {
      const res = await post(`${origin}/auth/refresh`, undefined, cookie)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ token_type: 'Bearer' })
      served.push(instanceOf(res))
      cookie = cookieFrom(res)
      seen.add(cookie.cookie)
    }
    expect(seen.size).toBe(201)
    // The login went to instance 0, so the refreshes went 1, 0, 1, 0, …
    expect(served).toEqual(Array.from({ length: 200 }, (_, i) => String((i + 1) % 2)))
    for (const demo of demos) {
      expect(demo.stats).toMatchObject({ refreshes: 100, refreshRejected: 0, reuseDetections: 0 })
    }
  })

  it('lets exactly 1 of 50 concurrent redemptions of one token win, on either instance, and revokes the family', async () => {
    const { demos, instances, origin } = await startPair(sharedRedis())
    const { cookie } = await login(origin)
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post(`${origin}/auth/refresh`, undefined, cookie)),
    )
    const statuses = answers.map((res) => res.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 401)).toHaveLength(49)
    expect(new Set(answers.map(instanceOf))).toEqual(new Set(['0', '1']))
    const messages = await Promise.all(
      answers.filter((res) => res.status === 401).map(async (res) => (await res.json()).message),
    )
    expect(messages).toContain('Refresh token reuse detected; the session was revoked.')

    const winner = cookieFrom(answers.find((res) => res.status === 200)!)
    for (const { url } of instances) {
      const res = await post(`${url}/auth/refresh`, undefined, winner)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        error: 'invalid_grant',
        message: 'The session was revoked; sign in again.',
      })
    }
    const [one, two] = demos.map((demo) => demo.stats)
    expect(one!.refreshes + two!.refreshes).toBe(52)
    expect(one!.refreshRejected + two!.refreshRejected).toBe(51)
    expect(one!.reuseDetections + two!.reuseDetections).toBeGreaterThanOrEqual(1)
  })

  it('ends a session on one instance for the other, and every session with logout everywhere', async () => {
    const { origin } = await startPair(sharedRedis())
    const first = await login(origin)
    const second = await login(origin)
    const admin = await login(origin, { username: 'admin', password: 'admin-password' })

    const logout = await post(`${origin}/auth/logout`, undefined, first.cookie)
    expect(logout.status).toBe(200)
    const afterLogout = await post(`${origin}/auth/refresh`, undefined, first.cookie)
    expect(instanceOf(afterLogout)).not.toBe(instanceOf(logout))
    expect(afterLogout.status).toBe(401)

    const everywhere = await post(`${origin}/auth/logout`, { everywhere: true }, second.cookie)
    expect(everywhere.status).toBe(200)
    const afterEverywhere = await post(`${origin}/auth/refresh`, undefined, second.cookie)
    expect(instanceOf(afterEverywhere)).not.toBe(instanceOf(everywhere))
    expect(afterEverywhere.status).toBe(401)
    expect((await post(`${origin}/auth/refresh`, undefined, admin.cookie)).status).toBe(200)
  })

  it('refuses an access token on one instance after the other revoked it', async () => {
    const { origin } = await startPair(sharedRedis())
    const { accessToken } = await login(origin)
    const authorization = { authorization: `Bearer ${accessToken}` }
    const before = await fetch(`${origin}/api/me`, { headers: authorization })
    expect(before.status).toBe(200)
    const revoke = await post(`${origin}/api/demo/expire-token`, undefined, authorization)
    expect(revoke.status).toBe(200)
    const after = await fetch(`${origin}/api/me`, { headers: authorization })
    expect(instanceOf(after)).toBe(instanceOf(before))
    expect(instanceOf(after)).not.toBe(instanceOf(revoke))
    expect(after.status).toBe(401)
  })

  it('needs the shared store: with a memory store each, the other instance knows no session', async () => {
    const { origin } = await startPair(() => createMemoryStore())
    const { res, cookie } = await login(origin)
    const refresh = await post(`${origin}/auth/refresh`, undefined, cookie)
    expect(instanceOf(refresh)).not.toBe(instanceOf(res))
    expect(refresh.status).toBe(401)
    expect(await refresh.json()).toMatchObject({ message: 'Unknown refresh token.' })
  })

  it('answers a refresh with 500, not 401, while Redis is unreachable, so the client keeps its session', async () => {
    // A port nothing listens on, and a client that fails at once instead of queueing commands.
    const unreachable = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    })
    unreachable.on('error', () => {})
    cleanups.push(async () => unreachable.disconnect())
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { origin } = await startPair(() => createRedisStore({ client: unreachable }))
    const res = await post(`${origin}/auth/refresh`, undefined, {
      cookie: serialize('refresh_token', 'any-token'),
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: 'server_error' })
    expect(res.headers.getSetCookie()).toEqual([])
    expect(logged).toHaveBeenCalled()
  })
})
