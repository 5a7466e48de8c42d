// @vitest-environment happy-dom
// #region component
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { expect, it, vi } from 'vitest'
import { createTestingAuth } from 'vue-refresh-auth/testing'
import UserBadge from './UserBadge.vue'

it('shows the signed-in user, and marks an admin', () => {
  const auth = createTestingAuth({
    createSpy: vi.fn,
    initialState: { user: { name: 'Ada' }, roles: ['user', 'admin'] },
  })
  const wrapper = mount(UserBadge, { global: { plugins: [createPinia(), auth] } })
  expect(wrapper.get('[data-test="user"]').text()).toBe('Ada (admin)')
})

it('offers a guest to sign in', () => {
  const auth = createTestingAuth({ createSpy: vi.fn })
  const wrapper = mount(UserBadge, { global: { plugins: [createPinia(), auth] } })
  expect(wrapper.find('[data-test="sign-in"]').exists()).toBe(true)
})
// #endregion component

// #region session
import { isAuthError } from 'vue-refresh-auth'

it('follows the session when a test changes it', async () => {
  const auth = createTestingAuth({ createSpy: vi.fn }) // a guest
  const wrapper = mount(UserBadge, { global: { plugins: [createPinia(), auth] } })

  auth.setSession({ user: { name: 'Ada' }, roles: ['admin'] }) // as a login would leave it
  await wrapper.vm.$nextTick()
  expect(wrapper.get('[data-test="user"]').text()).toBe('Ada (admin)')

  auth.endSession() // as a rejected refresh would end it
  await wrapper.vm.$nextTick()
  expect(wrapper.find('[data-test="sign-in"]').exists()).toBe(true)
  expect(isAuthError(auth.store.error, 'session_expired')).toBe(true)
})
// #endregion session

// #region actions
import { AuthError } from 'vue-refresh-auth'
import LoginPage from '../LoginPage.vue'

it('hands the credentials to login(), which is a spy', async () => {
  const auth = createTestingAuth({ createSpy: vi.fn })
  const wrapper = mount(LoginPage, { global: { plugins: [createPinia(), auth] } })
  await wrapper.get('input[autocomplete="username"]').setValue('ada')
  await wrapper.get('input[type="password"]').setValue('secret')
  await wrapper.get('form').trigger('submit')

  expect(auth.store.login).toHaveBeenCalledWith({ username: 'ada', password: 'secret' })
  expect(auth.store.isAuthenticated).toBe(false) // the spy signs nobody in
})

it('shows the error a failed login rejects with', async () => {
  const auth = createTestingAuth({ createSpy: vi.fn })
  const wrapper = mount(LoginPage, { global: { plugins: [createPinia(), auth] } })
  vi.mocked(auth.store.login).mockRejectedValueOnce(
    new AuthError('invalid_credentials', 'Wrong username or password.', { status: 401 }),
  )
  await wrapper.get('form').trigger('submit')
  await flushPromises()
  expect(wrapper.get('[role="alert"]').text()).toBe('Wrong username or password.')
})
// #endregion actions

// #region requests
import ItemsPage from '../ItemsPage.vue'

it('sends the test token with the requests the component makes', async () => {
  const fetch = vi.fn(async () => Response.json(['Roadmap', 'Budget']))
  vi.stubGlobal('fetch', fetch)
  const auth = createTestingAuth({
    createSpy: vi.fn,
    baseURL: '/api',
    initialState: { user: { name: 'Ada' } },
  })
  const wrapper = mount(ItemsPage, { global: { plugins: [createPinia(), auth] } })
  await flushPromises()

  expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['Roadmap', 'Budget'])
  const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
  expect(url).toBe('/api/items')
  expect(new Headers(init.headers).get('authorization')).toBe(`Bearer ${auth.store.accessToken}`)
})
// #endregion requests

// #region roles
it('reads roles where the app’s roles option does', () => {
  const options = {
    createSpy: vi.fn,
    // The app keeps roles in a `permissions` claim.
    roles: (claims: { permissions?: string[] } | null) => claims?.permissions ?? [],
  }
  const auth = createTestingAuth({
    ...options,
    initialState: { claims: { permissions: ['admin'] } },
  })
  const wrapper = mount(UserBadge, { global: { plugins: [createPinia(), auth] } })
  expect(wrapper.text()).toContain('(admin)')

  // `roles` alone go to `claims.roles`, which this roles option does not read.
  expect(() => createTestingAuth({ ...options, initialState: { roles: ['admin'] } })).toThrow(
    expect.objectContaining({ code: 'misconfigured' }),
  )
})
// #endregion roles

it('needs Pinia installed first', () => {
  const auth = createTestingAuth({ createSpy: vi.fn })
  expect(() => mount(UserBadge, { global: { plugins: [auth, createPinia()] } })).toThrow(
    /installed before Pinia/,
  )
})
