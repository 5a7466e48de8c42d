// @vitest-environment happy-dom
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView, type RouteRecordRaw } from 'vue-router'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuth, isAuthError, type AuthOptions } from '../src'
import { safeRedirect } from '../src/guards'
import { createFakeApi, deferred, json, jwt } from './utils'

const page = (name: string) => defineComponent({ name, render: () => h('p', { id: name }, name) })

const routes: RouteRecordRaw[] = [
  { path: '/', component: page('home') },
  { path: '/login', component: page('login'), meta: { guestOnly: true } },
  { path: '/dashboard', component: page('dashboard'), meta: { requiresAuth: true } },
  { path: '/secret', component: page('secret'), meta: { requiresAuth: true } },
  { path: '/admin', component: page('admin'), meta: { roles: ['admin'] } },
  { path: '/forbidden', component: page('forbidden') },
]

const wrappers: { unmount(): void }[] = []
afterEach(() => {
  for (const w of wrappers.splice(0)) w.unmount()
})

/** Mounts a real app: memory-history router, real Pinia, the plugin with the guards. */
function mountApp(options: AuthOptions = {}, initial = '/') {
  // As on a page load: the router's install starts the first navigation from the current location.
  const history = createMemoryHistory()
  history.replace(initial)
  const router = createRouter({ history, routes })
  const auth = createAuth({ router, ...options })
  const rendered: string[] = []
  router.afterEach((to) => rendered.push(to.path))
  const onError = vi.fn()
  router.onError(onError)
  const wrapper = mount(defineComponent({ render: () => h(RouterView) }), {
    global: { plugins: [createPinia(), router, auth] },
  })
  wrappers.push(wrapper)
  return { router, auth, wrapper, rendered, onError, store: auth.store }
}

const signIn = { username: 'alice', password: 'secret' }

describe('first navigation', () => {
  it('waits for the start-up restore, so neither login nor the page renders before it', async () => {
    const api = createFakeApi()
    const answer = deferred<Response>()
    api.refreshAnswers.push(() => answer.promise)
    const { wrapper, router, rendered } = mountApp({}, '/dashboard')
    await flushPromises()
    expect(wrapper.find('p').exists()).toBe(false)
    expect(rendered).toEqual([])
    answer.resolve(json(200, api.tokenBody()))
    await router.isReady()
    await flushPromises()
    expect(rendered).toEqual(['/dashboard'])
    expect(wrapper.find('#dashboard').exists()).toBe(true)
  })

  it('goes to the login page with a redirect back when the restore finds no session', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, { error: 'invalid_grant' }))
    const { router, rendered } = mountApp({}, '/dashboard?tab=2')
    await router.isReady()
    expect(rendered).toEqual(['/login'])
    expect(router.currentRoute.value.query.redirect).toBe('/dashboard?tab=2')
  })
})

describe('route meta', () => {
  async function guest() {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, {}))
    const ctx = mountApp()
    await ctx.router.isReady()
    return { api, ...ctx }
  }

  it('sends signed-in users away from guestOnly pages', async () => {
    const { router, store } = await guest()
    await router.push('/login')
    await store.login(signIn)
    await router.push('/login')
    expect(router.currentRoute.value.path).toBe('/')
  })

  it('fails a navigation to a role the user lacks with forbidden, through router.onError', async () => {
    const { router, store, onError } = await guest()
    await store.login(signIn)
    const failure = await router.push('/admin').catch((e) => e)
    expect(isAuthError(failure, 'forbidden')).toBe(true)
    expect(onError).toHaveBeenCalledOnce()
    expect(router.currentRoute.value.path).toBe('/')
  })

  it('lets a user with the role in, and sends a guest to the login page first', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, {}))
    api.fetch.mockImplementationOnce(async () => json(401, {}))
    const { router, store } = mountApp()
    await router.isReady()
    await router.push('/admin')
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/admin')
    const token = jwt({ sub: 'ada', roles: ['user', 'admin'], exp: Date.now() / 1000 + 60 })
    api.fetch.mockImplementationOnce(async () => json(200, { access_token: token }))
    await store.login({ username: 'admin', password: 'x' })
    expect(router.currentRoute.value.path).toBe('/admin')
  })

  it('goes to routes.forbidden when it is set', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(200, api.tokenBody()))
    const { router } = mountApp({ routes: { forbidden: '/forbidden' } })
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
  ]

  it.each(hostile)('lands on home for redirect=%j', async (redirect) => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, {}))
    const { router, store } = mountApp({}, '/')
    await router.isReady()
    await router.push({ path: '/login', query: { redirect } })
    await store.login(signIn)
    expect(router.currentRoute.value.fullPath).toBe('/')
    expect(safeRedirect(redirect)).toBeNull()
  })

  it.each(hostile)('lands on home for the raw URL ?redirect=%j', async (redirect) => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, {}))
    const { router, store } = mountApp({}, '/')
    await router.isReady()
    await router.push(`/login?redirect=${redirect}`)
    await store.login(signIn)
    expect(router.currentRoute.value.fullPath).toBe('/')
  })

  it('lands on a plain same-origin path intact', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(401, {}))
    const { router, store } = mountApp({}, '/secret?x=1#h')
    await router.isReady()
    expect(router.currentRoute.value.query.redirect).toBe('/secret?x=1#h')
    await store.login(signIn)
    expect(router.currentRoute.value.fullPath).toBe('/secret?x=1#h')
  })
})

describe('session end', () => {
  it('takes the user from a protected page to the login page on logout', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(200, api.tokenBody()))
    const { router, store } = mountApp({}, '/dashboard')
    await router.isReady()
    await store.logout()
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/dashboard')
  })

  it('takes the user to the login page when the refresh is rejected', async () => {
    const api = createFakeApi()
    api.refreshAnswers.push(json(200, api.tokenBody()), json(401, { error: 'invalid_grant' }))
    const { router, store } = mountApp({}, '/secret')
    await router.isReady()
    await store.refresh().catch(() => {})
    await flushPromises()
    expect(store.status).toBe('unauthenticated')
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/secret')
  })
})
