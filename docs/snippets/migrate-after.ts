import { FetchError } from 'ofetch'
import { createAuth, isAuthError, useAuthFetch } from 'vue-refresh-auth'
import { router } from './router'

// #region setup
export const auth = createAuth({ baseURL: '/api', router })

// Once, at start-up: forget the copies the old code left behind.
localStorage.removeItem('access_token')
// #endregion setup

// #region calls
export async function loadItems() {
  const api = useAuthFetch()
  // axios: (await api.get('/items', { params: { page: 2 } })).data
  return api<string[]>('/items', { query: { page: 2 } })
}

export async function rename(id: number, title: string) {
  const api = useAuthFetch()
  try {
    // axios: api.patch(`/items/${id}`, { title })
    return await api(`/items/${id}`, { method: 'PATCH', body: { title } })
  } catch (error) {
    // axios: axios.isAxiosError(error) && error.response?.status === 409
    if (error instanceof FetchError && error.status === 409) return null
    if (isAuthError(error)) return null // the session's trouble; see the errors guide
    throw error
  }
}
// #endregion calls
