import { json, randomId } from './http'
import { unsignedJwt } from './jwt'
import type { FakeAuthServerStats, FakeTokenClaims, FakeUser } from './types'

type Cookies = Map<string, string>

/**
 * The fake server's sessions: users, access tokens (looked up, not signed), and refresh tokens in
 * families, one family per login, with rotation and reuse detection.
 */
export function createFakeSessions(options: {
  users: FakeUser[]
  accessTtl: number
  refreshTtl: number
  mode: 'cookie' | 'body'
  stats: FakeAuthServerStats
}) {
  const { users, accessTtl, refreshTtl, mode, stats } = options
  /** Refresh token → its record. */
  const refreshTokens = new Map<string, { family: string; used: boolean; expiresAt: number }>()
  const families = new Map<string, { username: string; revoked: boolean }>()
  /** Access token → its claims; its `exp` may be moved to now by expireAll(). */
  const accessTokens = new Map<string, FakeTokenClaims & { revoked?: boolean }>()
  const userOf = (username: string) => users.find((user) => user.username === username)
  const profile = ({ password: _, ...rest }: FakeUser) => ({ roles: ['user'], ...rest })

  /** A new access token and refresh token of `family`: the JSON answer (and the cookie). */
  function issue(family: string, user: FakeUser, cookies: Cookies) {
    const iat = Math.floor(Date.now() / 1000)
    const { username, roles = ['user'], ...claims } = profile(user)
    const access: FakeTokenClaims = {
      ...claims,
      sub: username as string,
      roles,
      sid: family,
      jti: randomId(),
      iat,
      exp: iat + accessTtl,
    }
    const token = unsignedJwt(access)
    accessTokens.set(token, access)
    const refreshToken = randomId()
    refreshTokens.set(refreshToken, {
      family,
      used: false,
      expiresAt: Date.now() + refreshTtl * 1000,
    })
    const body: Record<string, unknown> = {
      access_token: token,
      token_type: 'Bearer',
      expires_in: accessTtl,
    }
    if (mode === 'body') body.refresh_token = refreshToken
    else cookies.set('refresh_token', refreshToken)
    return body
  }

  function refuse(message: string, reuse = false) {
    stats.refreshRejected++
    if (reuse) stats.reuseDetections++
    return json(401, { error: 'invalid_grant', message })
  }

  return {
    userOf,
    profile,

    /** Checks a password; a new session (family) and its tokens, or `null`. */
    login(username: unknown, password: unknown, cookies: Cookies) {
      const user = typeof username === 'string' ? userOf(username) : undefined
      if (!user || user.password !== password) return null
      const family = randomId()
      families.set(family, { username: user.username, revoked: false })
      return { ...issue(family, user, cookies), user: profile(user) }
    },

    /** Redeems a refresh token once; a used one coming back revokes its session (RFC 9700, 4.14). */
    rotate(presented: unknown, cookies: Cookies): Response {
      const record = typeof presented === 'string' ? refreshTokens.get(presented) : undefined
      const family = record && families.get(record.family)
      if (!record || !family) return refuse('Unknown refresh token.')
      if (family.revoked) return refuse('The session was revoked; sign in again.')
      if (record.used) {
        family.revoked = true
        return refuse('Refresh token reuse detected; the session was revoked.', true)
      }
      if (record.expiresAt <= Date.now()) return refuse('The refresh token expired; sign in again.')
      record.used = true
      const user = userOf(family.username)
      if (!user) return refuse('The user no longer exists.')
      return json(200, issue(record.family, user, cookies))
    },

    /** Logout: revokes the refresh token's session, or every session of its user. */
    logout(presented: unknown, everywhere: boolean) {
      const record = typeof presented === 'string' ? refreshTokens.get(presented) : undefined
      const family = record && families.get(record.family)
      if (!family) return
      for (const other of everywhere ? families.values() : [family]) {
        if (other.username === family.username) other.revoked = true
      }
    },

    /** The claims of a valid bearer token, or the 401 to answer. */
    authorize(token: string | null): FakeTokenClaims | Response {
      const claims = token ? accessTokens.get(token) : undefined
      const expired = claims !== undefined && Date.now() >= claims.exp * 1000
      const family = claims && families.get(claims.sid)
      if (claims && !expired && !claims.revoked && family && !family.revoked) return claims
      stats.unauthorized++
      if (expired) stats.expiredTokenRequests++
      const message = !token
        ? 'Missing bearer token.'
        : expired
          ? 'The access token expired.'
          : 'Invalid access token.'
      // RFC 6750, section 3: a 401 for a bearer token says so in WWW-Authenticate.
      return json(
        401,
        { error: 'invalid_token', message },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      )
    },

    expireAll() {
      const now = Math.floor(Date.now() / 1000)
      for (const claims of accessTokens.values()) claims.exp = Math.min(claims.exp, now)
    },

    revokeUser(username: string) {
      for (const family of families.values())
        if (family.username === username) family.revoked = true
      for (const claims of accessTokens.values()) if (claims.sub === username) claims.revoked = true
    },
  }
}
