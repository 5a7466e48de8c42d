// After: the same axios instance, put through the session. The token interceptor, the refresh
// interceptor (or createAuthRefresh) and the token in localStorage go.
import axios from 'axios'
import { withAuth } from 'vue-refresh-auth/axios'

export const api = withAuth(axios.create({ baseURL: '/api' }))

export async function loadItems() {
  const response = await api.get<string[]>('/items', { params: { page: 2 } }) // unchanged
  return response.data
}
