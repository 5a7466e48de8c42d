// @ts-check
import { createHash, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { newRefreshToken, refreshTokenHash } from './store.js'

/** @typedef {import('./store.js').RefreshTokenRecord} RefreshTokenRecord */
/** @typedef {import('./store.js').RotateRejection} RotateRejection */

/**
 * @typedef {import('./store.js').StoreOptions & {
 *   url?: string,
 *   client?: Redis,
 *   prefix?: string,
 * }} RedisStoreOptions
 * - `url`: e.g. `redis://127.0.0.1:6379/0`; the store opens its own connection and `close()` ends
 *   it. Default: `redis://127.0.0.1:6379`.
 * - `client`: an ioredis client to use instead; the store leaves closing it to the caller. Give it
 *   no `keyPrefix`: the scripts name keys themselves, with `prefix`.
 * - `prefix`: put before every key, so several stores (or apps) can share one database. Default:
 *   `'vra:'`.
 */

// Keys, after the prefix:
//   family:<familyId>  hash { userId, revoked: '0' | '1' }
//   user:<userId>      set of the user's family ids, for logout everywhere
//   token:<sha256>     hash { familyId, userId, expiresAt, used: '0' | '1' }, expiring with the token
//   jti:<jti>          a revoked access token's id, expiring with the token
// A family and its user's set live as long as the family's newest token; a used token lives on
// until its own expiry, so that replaying it is still recognised as reuse.

// #region rotate
// Writes a new token and makes its family and its user's set live at least as long.
const ISSUE = `
local function issue(familyKey, familyId, userId, tokenKey, expiresAt, ttl, prefix)
  redis.call('HSET', tokenKey, 'familyId', familyId, 'userId', userId,
    'expiresAt', expiresAt, 'used', '0')
  redis.call('PEXPIRE', tokenKey, ttl)
  for _, key in ipairs({ familyKey, prefix .. 'user:' .. userId }) do
    if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
  end
end
`

// KEYS: the presented token, its successor. ARGV: prefix, now, successor's expiresAt, ttl in ms.
// Redis runs a script to the end before it runs any other command, from any client: of all the
// instances redeeming one token at once, the first script to run marks it used and every later one
// finds it used. Redis Cluster wants every key in KEYS; the family key is only known here, so this
// is for one Redis (with replicas if you like), not a cluster.
const ROTATE = `${ISSUE}
local token = redis.call('HMGET', KEYS[1], 'familyId', 'userId', 'expiresAt', 'used')
local familyId, userId = token[1], token[2]
if not familyId then return { 'unknown' } end
local familyKey = ARGV[1] .. 'family:' .. familyId
local revoked = redis.call('HGET', familyKey, 'revoked')
if not revoked then return { 'unknown' } end
if revoked == '1' then return { 'revoked' } end
if token[4] == '1' then
  -- Redeemed before: two parties hold this token, so neither keeps the session (RFC 9700,
  -- section 4.14.2). Every instance reads the family from here, so it is revoked for all of them.
  redis.call('HSET', familyKey, 'revoked', '1')
  return { 'reused' }
end
if tonumber(token[3]) <= tonumber(ARGV[2]) then return { 'expired' } end
redis.call('HSET', KEYS[1], 'used', '1')
issue(familyKey, familyId, userId, KEYS[2], ARGV[3], ARGV[4], ARGV[1])
return { 'ok', familyId, userId }
`
// #endregion rotate

// KEYS: the family, the new token. ARGV: prefix, family id, expiresAt, ttl in ms.
const ISSUE_TOKEN = `${ISSUE}
local userId = redis.call('HGET', KEYS[1], 'userId')
if not userId then return false end
issue(KEYS[1], ARGV[2], userId, KEYS[2], ARGV[3], ARGV[4], ARGV[1])
return userId
`

// KEYS: the family. HSET alone would bring back a family that has expired, without a TTL.
const REVOKE_FAMILY = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
`

// KEYS: the user's set. ARGV: prefix. Returns how many families were live; forgets expired ones.
const REVOKE_USER_FAMILIES = `
local count = 0
for _, familyId in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local familyKey = ARGV[1] .. 'family:' .. familyId
  local revoked = redis.call('HGET', familyKey, 'revoked')
  if revoked == '0' then
    redis.call('HSET', familyKey, 'revoked', '1')
    count = count + 1
  elseif not revoked then
    redis.call('SREM', KEYS[1], familyId)
  end
end
return count
`

/**
 * A {@link import('./store.js').TokenStore} in Redis, for running the server as more than one
 * process: every instance sees every session, and rotation is one Lua script, so a refresh token is
 * redeemed at most once across all of them.
 *
 * @param {RedisStoreOptions} [options]
 * @returns {import('./store.js').TokenStore}
 */
export function createRedisStore({ url, client, prefix = 'vra:', now = Date.now } = {}) {
  const redis = client ?? new Redis(url ?? 'redis://127.0.0.1:6379')
  const key = {
    family: (/** @type {string} */ id) => `${prefix}family:${id}`,
    user: (/** @type {string} */ id) => `${prefix}user:${id}`,
    token: (/** @type {string} */ token) => `${prefix}token:${refreshTokenHash(token)}`,
    jti: (/** @type {string} */ jti) => `${prefix}jti:${jti}`,
  }
  const run = scriptRunner(redis)

  /** @param {number} ttlSeconds */
  function lifetime(ttlSeconds) {
    const ttl = Math.max(1, Math.ceil(ttlSeconds * 1000))
    return { ttl, expiresAt: now() + ttl }
  }

  return {
    async createFamily(userId) {
      const family = { id: randomUUID(), userId, revoked: false }
      await redis
        .multi()
        .hset(key.family(family.id), { userId, revoked: '0' })
        .sadd(key.user(userId), family.id)
        .exec()
      return family
    },

    async issueToken(familyId, ttlSeconds) {
      const token = newRefreshToken()
      const { ttl, expiresAt } = lifetime(ttlSeconds)
      const userId = await run(
        ISSUE_TOKEN,
        [key.family(familyId), key.token(token)],
        [prefix, familyId, expiresAt, ttl],
      )
      if (typeof userId !== 'string') throw new Error(`Unknown token family ${familyId}`)
      return { token, familyId, userId, expiresAt, used: false }
    },

    async findToken(token) {
      const stored = await redis.hgetall(key.token(token))
      if (!stored.familyId) return undefined
      const family = await redis.hgetall(key.family(stored.familyId))
      if (!family.userId) return undefined
      return {
        record: {
          token,
          familyId: stored.familyId,
          userId: stored.userId,
          expiresAt: Number(stored.expiresAt),
          used: stored.used === '1',
        },
        family: { id: stored.familyId, userId: family.userId, revoked: family.revoked === '1' },
      }
    },

    async rotate(token, ttlSeconds) {
      const successor = newRefreshToken()
      const { ttl, expiresAt } = lifetime(ttlSeconds)
      const [outcome, familyId, userId] = /** @type {string[]} */ (
        await run(ROTATE, [key.token(token), key.token(successor)], [prefix, now(), expiresAt, ttl])
      )
      if (outcome !== 'ok' || !familyId || !userId) {
        return { rejected: /** @type {RotateRejection} */ (outcome) }
      }
      return { token: successor, familyId, userId, expiresAt, used: false }
    },

    async revokeFamily(familyId) {
      await run(REVOKE_FAMILY, [key.family(familyId)], [])
    },

    async revokeUserFamilies(userId) {
      return Number(await run(REVOKE_USER_FAMILIES, [key.user(userId)], [prefix]))
    },

    async revokeAccessToken(jti, expiresAt) {
      const ttl = Math.ceil(expiresAt - now())
      // Past its expiry the token is refused as expired: nothing to remember.
      if (ttl > 0) await redis.set(key.jti(jti), '1', 'PX', ttl)
    },

    async isAccessTokenRevoked(jti) {
      return (await redis.exists(key.jti(jti))) === 1
    },

    async clear() {
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        if (keys.length > 0) await redis.unlink(...keys)
        cursor = next
      } while (cursor !== '0')
    },

    async close() {
      if (!client) await redis.quit()
    },
  }
}

/**
 * Runs Lua scripts by their SHA-1 (EVALSHA), sending a script's text only when this Redis has not
 * seen it yet (after a restart, say).
 *
 * @param {Redis} redis
 */
function scriptRunner(redis) {
  /** @type {Map<string, string>} */
  const shas = new Map()
  /**
   * @param {string} script
   * @param {string[]} keys
   * @param {(string | number)[]} args
   */
  return async function run(script, keys, args) {
    let sha = shas.get(script)
    if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')))
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return redis.eval(script, keys.length, ...keys, ...args)
    }
  }
}
