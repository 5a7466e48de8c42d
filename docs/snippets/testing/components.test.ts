// @vitest-environment happy-dom
// #region component
import { mount } from '@vue/test-utils'
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

it('follows the session when a test changes it', async () => {
  const auth = createTestingAuth({ createSpy: vi.fn, initialState: { user: { name: 'Ada' } } })
  const wrapper = mount(UserBadge, { global: { plugins: [createPinia(), auth] } })
  auth.endSession()
  await wrapper.vm.$nextTick()
  expect(wrapper.find('[data-test="sign-in"]').exists()).toBe(true)
})
