// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter, type RouteRecordRaw } from 'vue-router'
import { describe, expect, it, vi } from 'vitest'
import { isAuthError, type AuthOptions } from '../src'
import { safeRedirect } from '../src/guards'
import { credentials, deferred, setupAuth, useFakeServer } from './utils'

const page = (name: string) => defineComponent({ name, render: () => h('p', { id: name }, name) })

const routes: RouteRecordRaw[] = [
  { path: '/', component: page('home') },
  { path: '/login', component: page('login'), meta: { guestOnly: true } },
  { path: '/dashboard', component: page('dashboard'), meta: { requiresAuth: true } },
  { path: '/secret', component: page('secret'), meta: { requiresAuth: true } },
  { path: '/admin', component: page('admin'), meta: { roles: ['admin'] } },
  { path: '/editing', component: page('editing'), meta: { roles: ['admin', 'editor'] } },
  { path: '/forbidden', component: page('forbidden') },
]

/** A real app (setupAuth) with a memory-history router at `initial` and the plugin's guards. */
function withRouter(options: AuthOptions = {}, initial = '/') {
  // As on a page load: the router's install starts the first navigation from the current location.
  const history = createMemoryHistory()
  history.replace(initial)
  const router = createRouter({ history, routes })
  const rendered: string[] = []
  router.afterEach((to) => rendered.push(to.path))
  const onError = vi.fn()
  router.onError(onError)
  return { ...setupAuth({ router, ...options }), router, rendered, onError }
}

describe('first navigation', () => {
  it('waits for the start-up restore, so neither login nor the page renders before it', async () => {
    const { fetch, earlierSession } = useFakeServer()
    await earlierSession()
    // The restore's refresh reaches the server only once the test lets it.
    const answer = deferred()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementationOnce(async (input, init) => {
      await answer.promise
      return realFetch(input, init)
    })
    const { element, router, rendered } = withRouter({}, '/dashboard')
    await flushPromises()
    expect(element!.querySelector('p')).toBeNull()
    expect(rendered).toEqual([])
    answer.resolve()
    await router.isReady()
    await flushPromises()
    expect(rendered).toEqual(['/dashboard'])
    expect(element!.querySelector('#dashboard')).not.toBeNull()
  })

  it('goes to the login page with a redirect back when the restore finds no session', async () => {
    useFakeServer() // no refresh cookie: the restore's refresh is refused
    const { router, rendered } = withRouter({}, '/dashboard?tab=2')
    await router.isReady()
    expect(rendered).toEqual(['/login'])
    expect(router.currentRoute.value.query.redirect).toBe('/dashboard?tab=2')
  })
})

describe('route meta', () => {
  async function guest() {
    const server = useFakeServer()
    const ctx = withRouter()
    await ctx.router.isReady()
    return { ...server, ...ctx }
  }

  it('sends signed-in users away from guestOnly pages', async () => {
    const { router, store } = await guest()
    await router.push('/login')
    await store.login(credentials)
    await router.push('/login')
    expect(router.currentRoute.value.path).toBe('/')
  })

  it('fails a navigation to a role the user lacks with forbidden, through router.onError', async () => {
    const { router, store, onError } = await guest()
    await store.login(credentials)
    const failure = await router.push('/admin').catch((e) => e)
    expect(isAuthError(failure, 'forbidden')).toBe(true)
    expect(failure.message).toMatch(/needs one of the roles admin; the user has user\./)
    expect(onError).toHaveBeenCalledOnce()
    expect(router.currentRoute.value.path).toBe('/')
  })

  it('says the user has no role at all when that is so', async () => {
    const nobody = { username: 'nobody', password: 'pw', roles: [] }
    useFakeServer({ users: [nobody] })
    const { router, store } = withRouter()
    await router.isReady()
    await store.login(nobody)
    const failure = await router.push('/admin').catch((e) => e)
    expect(failure.message).toMatch(/the user has none\./)
  })

  it('lets a user with the role in, and sends a guest to the login page first', async () => {
    const ada = { username: 'ada', password: 'ada-password' }
    useFakeServer({ users: [{ ...ada, roles: ['user', 'admin'] }] })
    const { router, store } = withRouter()
    await router.isReady()
    await router.push('/admin')
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/admin')
    await store.login(ada)
    expect(router.currentRoute.value.path).toBe('/admin')
  })

  it('lets in a user with any one of the roles a route names, and no one with none of them', async () => {
    const users = [
      { username: 'eve', password: 'eve-password', roles: ['user', 'editor'] },
      { username: 'bob', password: 'bob-password', roles: ['user'] },
    ]
    useFakeServer({ users })
    const { router, store } = withRouter({ routes: { forbidden: '/forbidden' } })
    await router.isReady()
    await store.login(users[0]!)
    await router.push('/editing')
    expect(router.currentRoute.value.path).toBe('/editing')
    await store.logout()
    await store.login(users[1]!)
    await router.push('/editing')
    expect(router.currentRoute.value.fullPath).toBe('/forbidden?from=/editing')
  })

  it('goes to routes.forbidden when it is set', async () => {
    const { earlierSession } = useFakeServer()
    await earlierSession()
    const { router } = withRouter({ routes: { forbidden: '/forbidden' } })
    await router.isReady()
    await router.push('/admin')
    expect(router.currentRoute.value.path).toBe('/forbidden')
  })
})

describe('login redirect', () => {
  const hostile = [
    '//evil.example',
    'https://evil.example',
    '/\\evil.example',
    'javascript:alert(1)',
    '%2F%2Fevil.example',
    '/%5Cevil.example',
    '/%2F%2Fevil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '\t//evil.example',
    '/%E0%A4%A', // not decodable
  ]

  it.each(hostile)('lands on home for redirect=%j', async (redirect) => {
    useFakeServer()
    const { router, store } = withRouter({}, '/')
    await router.isReady()
    await router.push({ path: '/login', query: { redirect } })
    await store.login(credentials)
    expect(router.currentRoute.value.fullPath).toBe('/')
    expect(safeRedirect(redirect)).toBeNull()
  })

  it('lands on home for a redirect given twice', async () => {
    useFakeServer()
    const { router, store } = withRouter({}, '/')
    await router.isReady()
    await router.push({ path: '/login', query: { redirect: ['/dashboard', '/secret'] } })
    await store.login(credentials)
    expect(router.currentRoute.value.fullPath).toBe('/')
  })

  it('decodes three times, as far as a router and a browser ever decode, and keeps deeper encodings as a path', () => {
    // Four levels of encoding to reach "//": still a same-origin path after three decodes.
    expect(safeRedirect('/%2525252F%2525252Fevil.example')).toBe('/%2525252F%2525252Fevil.example')
    expect(safeRedirect('/%25252F%25252Fevil.example')).toBeNull()
  })

  it.each(hostile)('lands on home for the raw URL ?redirect=%j', async (redirect) => {
    useFakeServer()
    const { router, store } = withRouter({}, '/')
    await router.isReady()
    await router.push(`/login?redirect=${redirect}`)
    await store.login(credentials)
    expect(router.currentRoute.value.fullPath).toBe('/')
  })

  it('lands on a plain same-origin path intact', async () => {
    useFakeServer()
    const { router, store } = withRouter({}, '/secret?x=1#h')
    await router.isReady()
    expect(router.currentRoute.value.query.redirect).toBe('/secret?x=1#h')
    await store.login(credentials)
    expect(router.currentRoute.value.fullPath).toBe('/secret?x=1#h')
  })
})

describe('session end', () => {
  it('takes the user from a protected page to the login page on logout', async () => {
    const { earlierSession } = useFakeServer()
    await earlierSession()
    const { router, store } = withRouter({}, '/dashboard')
    await router.isReady()
    await store.logout()
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/dashboard')
  })

  it('takes the user to the login page when the refresh is rejected', async () => {
    const { server, earlierSession } = useFakeServer()
    await earlierSession()
    const { router, store } = withRouter({}, '/secret')
    await router.isReady()
    server.fail('refresh', { status: 401, body: { error: 'invalid_grant' } })
    await store.refresh().catch(() => {})
    await flushPromises()
    expect(store.status).toBe('unauthenticated')
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/secret')
  })
})

describe('after login', () => {
  it('leaves the login page only once login() is done, the user loaded', async () => {
    const { fetch } = useFakeServer()
    const me = deferred<Response>()
    const realFetch = fetch.getMockImplementation()!
    fetch.mockImplementation(async (input, init) =>
      String(input).endsWith('/auth/me') ? me.promise : realFetch(input, init),
    )
    const { router, store } = withRouter({ endpoints: { user: 'GET /auth/me' } })
    await router.isReady()
    await router.push('/login?redirect=/dashboard')
    const login = store.login(credentials)
    await flushPromises()
    expect(store.isAuthenticated).toBe(true)
    // Signed in, the user still loading: no navigation yet, so the page never shows without it.
    expect(router.currentRoute.value.path).toBe('/login')
    me.resolve(
      await realFetch('/auth/me', { headers: { authorization: `Bearer ${store.accessToken}` } }),
    )
    await login
    expect(router.currentRoute.value.path).toBe('/dashboard')
    expect(store.user).toMatchObject({ username: 'alice' })
  })
})

describe('signed in by another tab', () => {
  it('leaves the login page when another tab signs in, also after a login and logout here', async () => {
    useFakeServer()
    const one = withRouter()
    await one.router.isReady()
    await one.store.login(credentials)
    await one.store.logout()
    await one.router.push('/login')
    const two = setupAuth({ restore: false })
    await two.store.login(credentials)
    await vi.waitFor(() => expect(one.router.currentRoute.value.path).toBe('/'))
    expect(one.store.isAuthenticated).toBe(true)
  })
})

describe('after the app unmounts', () => {
  it('leaves its router alone: a later login through the store does not navigate it', async () => {
    useFakeServer()
    const { router, store, unmount, rendered } = withRouter({ restore: false }, '/')
    await router.isReady()
    await router.push('/login')
    unmount()
    await store.login(credentials)
    await flushPromises()
    expect(store.isAuthenticated).toBe(true)
    expect(rendered).toEqual(['/', '/login'])
  })
})
