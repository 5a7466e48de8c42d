import { vi } from 'vitest'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/**
 * A fake auth server behind a stubbed global fetch. Tokens are opaque strings: the plugin accepts
 * them (with expires_in), so tests need no JWT library.
 */
export function stubAuthServer() {
  let current = 'token-1'
  let issued = 1
  const counts = { login: 0, refresh: 0, logout: 0 }

  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), location.href)
    switch (url.pathname) {
      case '/auth/login':
        counts.login++
        return json(200, { access_token: current, expires_in: 300 })
      case '/auth/refresh':
        counts.refresh++
        current = `token-${++issued}`
        return json(200, { access_token: current, expires_in: 300 })
      case '/auth/logout':
        counts.logout++
        return json(200, { ok: true })
      default: {
        const authorized = new Headers(init.headers).get('authorization') === `Bearer ${current}`
        return authorized ? json(200, ['first', 'second']) : json(401, { error: 'invalid_token' })
      }
    }
  })
  vi.stubGlobal('fetch', fetch)

  return {
    fetch,
    counts,
    /** The server stops accepting the current access token, as when it expires. */
    expireToken() {
      current = 'no longer valid'
    },
  }
}
