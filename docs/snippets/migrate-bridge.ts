// Keeping axios for a while: let it borrow the plugin's token and its shared refresh.
import axios, { type InternalAxiosRequestConfig } from 'axios'
import { createAuth } from 'vue-refresh-auth'

export const auth = createAuth({ baseURL: '/api' })
export const legacy = axios.create({ baseURL: '/api' })

// The plugin checks origins for its own requests; here it is up to you.
const isOwnOrigin = (config: InternalAxiosRequestConfig) =>
  new URL(legacy.getUri(config), location.href).origin === location.origin

legacy.interceptors.request.use((config) => {
  const token = auth.store.accessToken
  if (token && isOwnOrigin(config)) config.headers.Authorization = `Bearer ${token}`
  return config
})

legacy.interceptors.response.use(undefined, async (error) => {
  const config = error.config as InternalAxiosRequestConfig & { _replayed?: boolean }
  if (error.response?.status !== 401 || config._replayed || !isOwnOrigin(config)) throw error
  config._replayed = true
  // Refresh only if the token this request carried is still the current one; the plugin's
  // refresh is single-flight and shared with its own requests and with other tabs.
  if (config.headers.Authorization === `Bearer ${auth.store.accessToken}`)
    await auth.store.refresh()
  return legacy(config) // the request interceptor adds the new token
})
