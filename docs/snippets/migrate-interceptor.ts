// Before: a hand-written interceptor.
import axios, { type InternalAxiosRequestConfig } from 'axios'

export const api = axios.create({ baseURL: '/api' })
let refreshing: Promise<string> | null = null

api.interceptors.response.use(undefined, async (error) => {
  const original = error.config as InternalAxiosRequestConfig & { _retry?: boolean }
  if (error.response?.status !== 401 || original._retry) throw error
  original._retry = true
  refreshing ??= axios
    .post('/auth/refresh', null, { withCredentials: true })
    .then((response) => response.data.access_token as string)
    .finally(() => (refreshing = null)) // a 401 that arrives just after this refreshes again
  const token = await refreshing // a failed refresh (even a 503) usually ends in a logout here
  localStorage.setItem('access_token', token)
  original.headers.Authorization = `Bearer ${token}`
  return api(original)
})
