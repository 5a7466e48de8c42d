import { jwtDecode } from 'jwt-decode'
import { AuthError } from './errors'
import type { ResolvedOptions } from './options'

/** An access token as the session holds it, with its expiry on the local clock. */
export interface TokenSet<TClaims = unknown> {
  token: string
  claims: TClaims | null
  /** Local-clock ms when it stops being valid (server clock corrected), or null if unknown. */
  expiresAt: number | null
  /** Local-clock ms when it was received. */
  receivedAt: number
  /** The token was answered 401 by an allowed origin: it must not be sent again. */
  rejected: boolean
}

/** The claims of a JWT, or `null` for an opaque token. */
export function decodeClaims<TClaims>(token: string): TClaims | null {
  try {
    const claims = jwtDecode<TClaims>(token)
    return claims && typeof claims === 'object' ? claims : null
  } catch {
    return null // an opaque token: allowed, it just carries no claims
  }
}

function seconds(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null
}

/**
 * Reads the access token of a login or refresh response and places its expiry on the local clock.
 *
 * A relative `expires_in` needs no clock at all. An absolute JWT `exp` is on the server's clock, so it
 * is shifted by how far the server's "now" (the `Date` header, else the token's `iat`) is from ours.
 */
export function readTokenSet<TClaims>(
  options: Pick<ResolvedOptions, 'readAccess' | 'readExpiresIn'>,
  body: unknown,
  headers: Headers | undefined,
  receivedAt: number,
  what: string,
): TokenSet<TClaims> {
  if (!body || typeof body !== 'object') {
    throw new AuthError(
      'bad_response',
      `The ${what} response is not a JSON object. Make the endpoint answer JSON such as { "access_token": "…" }, or set tokens.access to read it.`,
    )
  }
  const token = options.readAccess(body)
  if (typeof token !== 'string' || token.trim() === '') {
    throw new AuthError(
      'bad_response',
      `The ${what} response has no access token. Return one as access_token (or accessToken, access, token), or set tokens.access to read it.`,
    )
  }
  const claims = decodeClaims<TClaims & { exp?: number; iat?: number }>(token)
  const expiresIn = seconds(options.readExpiresIn(body))
  const fromExpiresIn = expiresIn === null ? null : receivedAt + expiresIn * 1000
  let fromExp: number | null = null
  if (typeof claims?.exp === 'number') {
    const date = headers?.get('date')
    // Both are whole seconds rounded down; adding one keeps the estimate on the early, safe side.
    const serverNow =
      (date ? Date.parse(date) : typeof claims.iat === 'number' ? claims.iat * 1000 : Number.NaN) +
      1000
    const skew = Number.isFinite(serverNow) ? serverNow - receivedAt : 0
    fromExp = claims.exp * 1000 - skew
  }
  // With both, the earlier wins: `exp` is whole seconds, so a token can end up to 1 s before
  // `expires_in` says, and a 2 s token would otherwise be sent after it died.
  const expiresAt: number | null =
    fromExpiresIn === null
      ? fromExp
      : fromExp === null
        ? fromExpiresIn
        : Math.min(fromExp, fromExpiresIn)
  if (expiresAt !== null && expiresAt <= receivedAt) {
    // Accepting it would refresh again at once, and again: a refresh storm.
    throw new AuthError(
      'bad_response',
      `The ${what} response carries a token that is already expired. Check the server's clock and the token's exp and expires_in.`,
    )
  }
  return { token, claims, expiresAt, receivedAt, rejected: false }
}
