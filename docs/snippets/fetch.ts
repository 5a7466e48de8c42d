import { createAuth, useAuthFetch } from 'vue-refresh-auth'

interface Item {
  id: number
  title: string
}

// #region basics
export async function examples() {
  const api = useAuthFetch()

  // GET {baseURL}/items, parsed as JSON, typed
  const items = await api<Item[]>('/items')

  // POST with a JSON body and a query string
  const created = await api<Item>('/items', {
    method: 'POST',
    body: { title: 'New' },
    query: { notify: true },
  })

  // The whole response: status, headers, and the parsed body in `_data`
  const response = await api.raw<Item[]>('/items')
  const total = Number(response.headers.get('x-total-count'))

  return { items, created, response, total }
}
// #endregion basics

// #region origins
export async function elsewhere() {
  const api = useAuthFetch()
  // Another origin: sent as usual, but never with the Authorization header.
  return api('https://cdn.example.com/feature-flags.json')
}

// An API on another origin must be listed, or it never receives the token.
export const auth = createAuth({
  baseURL: 'https://api.example.com/v1',
  // allowedOrigins defaults to the origin of an absolute baseURL; list more when you need them.
  allowedOrigins: ['https://api.example.com', 'https://files.example.com'],
  // The auth endpoints resolve against the page, not baseURL: give full URLs when they live there too.
  endpoints: {
    login: 'POST https://api.example.com/auth/login',
    refresh: 'POST https://api.example.com/auth/refresh',
    logout: 'POST https://api.example.com/auth/logout',
  },
})
// #endregion origins

// #region options
export const authWithOptions = createAuth({
  baseURL: '/api',
  fetchOptions: {
    timeout: 10_000,
    retry: 1,
    headers: { 'x-client': 'web' },
    // Your hooks still run; the Authorization header and the 401 handling do not depend on them.
    onResponseError({ response }) {
      if (response.status >= 500) console.warn('API trouble', response.status)
    },
  },
})
// #endregion options

// #region hooks
export async function withOwnHook() {
  const api = useAuthFetch()
  return api('/items', {
    // Runs before the plugin adds the header; it cannot remove it or switch the refresh off.
    onRequest({ options }) {
      options.headers.set('x-request-id', crypto.randomUUID())
    },
  })
}
// #endregion hooks
