// Before: axios + axios-auth-refresh, the token in localStorage.
import axios from 'axios'
import createAuthRefresh from 'axios-auth-refresh'

export const api = axios.create({ baseURL: '/api' })

api.interceptors.request.use((config) => {
  const token = localStorage.getItem('access_token') // readable by any script on the page
  if (token) config.headers.Authorization = `Bearer ${token}` // to whatever URL this request goes
  return config
})

createAuthRefresh(api, async (failedRequest) => {
  const { data } = await axios.post('/auth/refresh', null, { withCredentials: true })
  localStorage.setItem('access_token', data.access_token)
  failedRequest.response.config.headers.Authorization = `Bearer ${data.access_token}`
})

export async function loadItems() {
  const response = await api.get<string[]>('/items', { params: { page: 2 } })
  return response.data
}
