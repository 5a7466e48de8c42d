// #region setup
import axios from 'axios'
import { withAuth } from 'vue-refresh-auth/axios'

// At module level, before the app exists: the plugin is looked up when a request is sent, so
// requests work once app.use(pinia).use(auth) has run.
export const api = withAuth(axios.create({ baseURL: '/api' }))
// #endregion setup

import { isAuthError } from 'vue-refresh-auth'
import { auth } from './main'

interface Data {
  items: string[]
  at: string
}

// #region errors
export async function loadData() {
  try {
    return (await api.get<Data>('/data')).data
  } catch (error) {
    // Still 401 after the refresh and the replay, or nobody is signed in.
    if (isAuthError(error, 'unauthorized')) return null
    if (isAuthError(error)) {
      // The session failed: session_expired, network or server. `cause` is the AxiosError of the
      // request's 401, or the refresh's error when the request waited for it before leaving.
      if (axios.isAxiosError(error.cause)) console.warn(error.code, error.cause.config?.url)
      return null
    }
    // Every other failure is axios' own, as before.
    if (axios.isAxiosError(error) && error.response?.status === 404) return null
    throw error
  }
}
// #endregion errors

// #region order
export const reports = withAuth(axios.create({ baseURL: '/api/reports' })) // first

// Added after withAuth, so axios runs it before withAuth's: it cannot remove the header.
reports.interceptors.request.use((config) => {
  config.headers.set('x-request-id', crypto.randomUUID())
  return config
})
// #endregion order

// #region explicit
// More than one app on the page, or tests: name the plugin instead of looking it up.
export const admin = withAuth(axios.create({ baseURL: '/api/admin' }), auth)
// #endregion explicit
