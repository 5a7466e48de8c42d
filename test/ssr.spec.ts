// @vitest-environment node
// Server-side rendering: no browser globals are touched, and the serialized Pinia state (what an
// SSR payload or a persistence plugin would carry) never holds the access token.
import { defineComponent, effectScope, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createMemoryHistory, createRouter } from 'vue-router'
import { describe, expect, it, vi } from 'vitest'
import { useAuth, useAuthSocket } from '../src'
import { createFakeAuthServer } from '../src/testing'
import { credentials, setupAuth, useFakeServer } from './utils'

const Home = defineComponent({
  setup() {
    const auth = useAuth()
    return () => h('p', { id: 'home' }, `${auth.status}: ${String(auth.user?.name ?? 'guest')}`)
  },
})
const page = (name: string) => defineComponent({ render: () => h('p', { id: name }, name) })

function createServerApp() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: Home, meta: { requiresAuth: true } },
      { path: '/login', component: page('login'), meta: { guestOnly: true } },
      { path: '/admin', component: page('admin'), meta: { roles: ['admin'] } },
    ],
  })
  return { ...setupAuth({ baseURL: '/api', router }, { ssr: true }), router }
}

describe('server-side rendering', () => {
  it('runs where there is no window or document', () => {
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')
  })

  it('renders a signed-in page, and the serialized state holds no token', async () => {
    expect(typeof window).toBe('undefined')
    const { fetch } = useFakeServer({ users: [{ ...credentials, name: 'Alice', roles: ['user'] }] })
    const { app, pinia, router, auth } = createServerApp()

    await auth.ready
    // No cookie to restore from on the server: the session is known to be empty at once.
    expect(fetch).not.toHaveBeenCalled()
    await auth.store.login(credentials)
    expect(fetch).toHaveBeenCalledWith('/auth/login', expect.objectContaining({ method: 'POST' }))
    const token = auth.store.accessToken!
    expect(token).toMatch(/\./)
    await router.isReady()
    expect(router.currentRoute.value.fullPath).toBe('/')

    const html = await renderToString(app)
    expect(html).toContain('<p id="home">authenticated: Alice</p>')
    expect(html).not.toContain(token)

    const state = JSON.stringify(pinia.state.value)
    expect(state).toContain('authenticated')
    expect(state).not.toContain(token)
    expect(state).not.toContain(token.split('.')[1]) // not even the claims part

    // Signing in armed the proactive-refresh timer even on the server; logging out clears it, so it
    // cannot fire after the test.
    await auth.store.logout()
  })

  it('renders the login page for a guest on a protected route', async () => {
    const { fetch } = useFakeServer()
    const { app, router } = createServerApp()
    await router.push('/admin')
    await router.isReady()
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/admin')
    expect(await renderToString(app)).toBe('<p id="login">login</p>')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('signs in from a login page, refreshes and opens no socket, without browser globals', async () => {
    const { server } = useFakeServer()
    // An absolute baseURL: on a server a relative URL has no origin, so it never gets the token.
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: Home, meta: { requiresAuth: true } },
        { path: '/login', component: page('login'), meta: { guestOnly: true } },
      ],
    })
    const { app, auth, $fetch } = setupAuth(
      { baseURL: 'http://app.test/api', router },
      { ssr: true },
    )
    await router.push('/login?redirect=/')
    await router.isReady()
    await auth.store.login(credentials)
    expect(router.currentRoute.value.fullPath).toBe('/')
    server.expireAccessTokens()
    await expect($fetch('/items')).resolves.toMatchObject({ ok: true })
    expect(server.stats.refreshes).toBe(1)
    // A relative URL has no origin on a server: it gets no token.
    const relative = await auth.fetchWithAuth('/api/items')
    expect(relative.status).toBe(401)
    expect(server.requests.at(-1)!.token).toBeNull()
    const scope = effectScope()
    const socket = app.runWithContext(() => scope.run(() => useAuthSocket('/ws')))!
    expect(socket.status.value).toBe('CLOSED')
    expect(socket.ws.value).toBeNull()
    scope.stop()
    await auth.store.logout()
  })

  it('sends an endpoint method outside the six fetch normalizes in upper case', async () => {
    // fetch, in Node as in a browser, sends "patch" as it is: only DELETE, GET, HEAD, OPTIONS,
    // POST and PUT are upper-cased for the caller (Fetch standard, "normalize a method").
    const { fetch } = useFakeServer()
    const { auth } = setupAuth(
      {
        endpoints: {
          logout: 'patch /auth/logout',
          refresh: { url: '/auth/refresh', method: 'patch' },
        },
      },
      { ssr: true },
    )
    await auth.store.login(credentials)
    await auth.store.refresh().catch(() => {})
    await auth.store.logout().catch(() => {})
    const methods = fetch.mock.calls.map(([input, init]) => `${init?.method} ${String(input)}`)
    expect(methods).toEqual(['POST /auth/login', 'PATCH /auth/refresh', 'PATCH /auth/logout'])
  })

  it('arms no timer on a server, where nothing would ever stop it', async () => {
    vi.useFakeTimers()
    try {
      useFakeServer()
      const { auth } = setupAuth({ refreshLeeway: 30 }, { ssr: true })
      await auth.store.login(credentials)
      expect(auth.store.isAuthenticated).toBe(true)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('the testing kit in Node', () => {
  it('runs a fake server with CSRF where there is no document: the cookie goes to the jar only', async () => {
    const server = createFakeAuthServer({ csrf: { header: 'x-csrf', cookie: 'csrf' } })
    const client = server.client()
    const login = await client.fetch('/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    })
    expect(login.status).toBe(200)
    const csrf = client.cookies.get('csrf')!
    expect(csrf).toMatch(/\w/)
    const refresh = await client.fetch('/auth/refresh', {
      method: 'POST',
      headers: { 'x-csrf': csrf },
    })
    expect(refresh.status).toBe(200)
  })
})
