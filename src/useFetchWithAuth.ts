import { currentSession } from './store'

/**
 * `fetch` with the session: `Authorization: Bearer` to allowed origins only, a known-expired token
 * refreshed before the request leaves, and a 401 replayed once after the shared refresh. HTTP
 * answers resolve as a `Response` (a 401 still 401 after the replay too); a request that the
 * session cannot answer (refresh rejected, session ended, refresh failed on the network or the
 * server) rejects with that `AuthError`, which `store.error` holds too.
 *
 * @example
 * ```ts
 * import createClient from 'openapi-fetch'
 * const client = createClient<paths>({ baseUrl: '/api', fetch: useFetchWithAuth() })
 * ```
 */
export function useFetchWithAuth(): typeof fetch {
  return currentSession('useFetchWithAuth()').fetchWithAuth
}
