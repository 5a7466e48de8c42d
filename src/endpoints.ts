import { ofetch } from 'ofetch'
import { readCookie } from './env'
import { AUTH_TIMEOUT, type Endpoint, type ResolvedOptions } from './options'
import type { Answer } from './tokens'

/**
 * The client of the auth endpoints (login, refresh, logout): their own ofetch instance, with a
 * timeout, `credentials`, the CSRF header, and the local times a token's expiry is placed with.
 */
export function createEndpointClient(options: ResolvedOptions<any, any>) {
  const { csrf, crossTab } = options
  const http = ofetch.create(
    {
      credentials: options.credentials,
      retry: 0,
      // A refresh must end before another tab may steal the lock it holds (see AUTH_TIMEOUT).
      timeout: crossTab ? Math.min(AUTH_TIMEOUT, crossTab.lockTimeout - 1000) : AUTH_TIMEOUT,
    },
    // Read at call time: the testing kit answers the session itself, and tests stub fetch.
    { fetch: (input, init) => (options.authFetch ?? globalThis.fetch)(input, init) },
  )
  let last: Promise<unknown> = Promise.resolve()

  return {
    /** Sends a request; `withCsrf` for refresh and logout (the login has no session yet). */
    async send(endpoint: Endpoint, body?: object, withCsrf = true): Promise<Answer> {
      const value =
        csrf && withCsrf ? ('cookie' in csrf ? readCookie(csrf.cookie) : csrf.value()) : null
      const sentAt = Date.now()
      const response = await http.raw(endpoint.url, {
        method: endpoint.method as 'POST',
        body: body as Record<string, unknown> | undefined,
        headers: value ? { [csrf!.header]: value } : {},
      })
      return { body: response._data, headers: response.headers, sentAt, receivedAt: Date.now() }
    },
    /**
     * Runs a cookie-setting request (refresh, login) after the previous one settled, in this tab.
     * With the cross-tab lock around it too, the last Set-Cookie the browser applies is always the
     * newest: a late refresh answer can never put an older session's cookie over a fresh login's.
     */
    serial<T>(send: () => Promise<T>): Promise<T> {
      // Chained synchronously, so two callers waiting on the same request still go one by one.
      const sent = last.then(send)
      last = sent.catch(() => {})
      return sent
    },
  }
}
