// @vitest-environment happy-dom
// #region login
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, expect, it, vi } from 'vitest'
import { createFakeAuthServer, createTestingAuth } from 'vue-refresh-auth/testing'
import LoginPage from '../LoginPage.vue'
import { users } from './app'

afterEach(() => {
  vi.unstubAllGlobals()
})

async function submit(username: string, password: string) {
  const server = createFakeAuthServer({ users })
  vi.stubGlobal('fetch', server.fetch)
  const auth = createTestingAuth({ createSpy: vi.fn, stubActions: false })
  const wrapper = mount(LoginPage, { global: { plugins: [createPinia(), auth] } })
  await wrapper.get('input[autocomplete="username"]').setValue(username)
  await wrapper.get('input[type="password"]').setValue(password)
  await wrapper.get('form').trigger('submit')
  await flushPromises()
  return { wrapper, server, store: auth.store }
}

it('signs the user in against the fake server', async () => {
  const { server, store } = await submit('ada', 'ada-password')
  expect(store.isAuthenticated).toBe(true)
  expect(store.user).toMatchObject({ name: 'Ada' })
  expect(store.hasRole('admin')).toBe(true)
  expect(server.stats.logins).toBe(1)
})

it('says so when the password is wrong', async () => {
  const { wrapper, store } = await submit('ada', 'nope')
  expect(wrapper.get('[role="alert"]').text()).toBe('Wrong username or password.')
  expect(store.isAuthenticated).toBe(false)
})
// #endregion login
