import { createAuth, isAuthError, useAuthFetch } from 'vue-refresh-auth'
import { router } from './router'

declare function toast(message: string): void

// #region expired
export const auth = createAuth({
  router,
  // Once per session that ends without a logout: refresh rejected, revoked, signed out in another tab.
  // The guards already take the user to the login page when they are on a protected one.
  onSessionExpired(reason) {
    toast('Your session has ended. Please sign in again.')
    console.info(reason.code, reason.message) // 'session_expired', and what happened
  },
})
// #endregion expired

// #region request
export async function loadReport(id: string) {
  const api = useAuthFetch()
  try {
    return await api(`/reports/${id}`)
  } catch (error) {
    if (!isAuthError(error)) throw error // your API's own 403, 404, 500: ofetch's FetchError
    switch (error.code) {
      case 'network': // no answer: offline, dropped connection, timeout
      case 'server': // the refresh endpoint answered 5xx or 429; retried with backoff
        toast('Connection trouble. Still signed in; try again in a moment.')
        return null
      case 'session_expired': // the server ended the session; the guards redirect to login
      case 'unauthorized': // still 401 with a fresh token, or nobody is signed in
        return null
      default:
        throw error
    }
  }
}
// #endregion request
