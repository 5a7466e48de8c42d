// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView } from 'vue-router'
import { createFakeAuthServer, createTestingAuth } from 'vue-refresh-auth/testing'
import { createAppRouter, users } from './app'

afterEach(() => {
  vi.unstubAllGlobals()
})

const Root = defineComponent({ render: () => h(RouterView) })

// #region guest
it('sends a guest to the login page, and back after signing in', async () => {
  const server = createFakeAuthServer({ users })
  server.route('GET', '/api/items', () => ['Roadmap'])
  vi.stubGlobal('fetch', server.fetch)
  const router = createAppRouter()
  // stubActions: false, so the login form's login() really signs in against the fake server.
  const auth = createTestingAuth({ createSpy: vi.fn, stubActions: false, baseURL: '/api', router })
  const wrapper = mount(Root, { global: { plugins: [createPinia(), router, auth] } })

  await router.push('/items')
  expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/items')

  await wrapper.get('input[autocomplete="username"]').setValue('alice')
  await wrapper.get('input[type="password"]').setValue('alice-password')
  await wrapper.get('form').trigger('submit')
  await flushPromises()
  expect(router.currentRoute.value.path).toBe('/items')
  expect(wrapper.text()).toContain('Roadmap')
})
// #endregion guest

// #region expiry
it('takes the user to the login page when the session expires on a protected page', async () => {
  const router = createAppRouter()
  const onSessionExpired = vi.fn()
  const auth = createTestingAuth({
    createSpy: vi.fn,
    router,
    onSessionExpired,
    initialState: { user: { name: 'Ada' }, roles: ['admin'] },
  })
  mount(Root, { global: { plugins: [createPinia(), router, auth] } })
  await router.push('/admin')
  expect(router.currentRoute.value.path).toBe('/admin')

  auth.endSession() // as a rejected refresh would end it
  await flushPromises()
  expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/admin')
  expect(onSessionExpired).toHaveBeenCalledOnce()
})
// #endregion expiry

it('fails a navigation to a page the user lacks the role for', async () => {
  const router = createAppRouter()
  const auth = createTestingAuth({ createSpy: vi.fn, router, initialState: { roles: ['user'] } })
  mount(Root, { global: { plugins: [createPinia(), router, auth] } })
  const onError = vi.fn()
  router.onError(onError)
  await router.push('/admin').catch(() => {})
  expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'forbidden' })
})
