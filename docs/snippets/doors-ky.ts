// #region client
import ky, { HTTPError } from 'ky'
import { isAuthError } from 'vue-refresh-auth'
import { auth } from './main' // where createAuth() runs

export const api = ky.create({
  prefixUrl: '/api',
  fetch: auth.fetchWithAuth,
  retry: {
    // ky retries a request whose fetch rejects. Not when the session failed: after
    // session_expired the retry would go without a token and end as unauthorized.
    shouldRetry: ({ error }) => (isAuthError(error) ? false : undefined),
  },
})

export async function loadData() {
  try {
    return await api.get('data').json<Data>() // GET /api/data
  } catch (error) {
    // HTTP errors, a 401 still 401 after the replay included, are ky's HTTPError.
    if (error instanceof HTTPError && error.response.status === 401) return null
    throw error // an AuthError when the session failed
  }
}
// #endregion client

interface Data {
  items: string[]
  at: string
}
