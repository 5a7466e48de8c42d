// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createAuth, useAuth } from 'vue-refresh-auth'
import ItemsPage from './ItemsPage.vue'
import { stubAuthServer } from './testing-fake-server'

afterEach(() => {
  vi.unstubAllGlobals()
})

// One plugin per test: a fresh session, no start-up refresh, no other tabs, no devtools.
const createTestAuth = () =>
  createAuth({ baseURL: '/api', restore: false, crossTab: false, devtools: false })

it('refreshes once for concurrent 401s and replays each request', async () => {
  const server = stubAuthServer()
  const auth = createTestAuth()
  mount({ render: () => null }, { global: { plugins: [createPinia(), auth] } })

  await auth.store.login({ username: 'alice', password: 'secret' })
  server.expireToken()
  const results = await Promise.all([auth.fetch('/items'), auth.fetch('/items')])

  expect(results).toEqual([
    ['first', 'second'],
    ['first', 'second'],
  ])
  expect(server.counts.refresh).toBe(1)
})

it('renders the list once signed in', async () => {
  stubAuthServer()
  const auth = createTestAuth()
  // Render the page only when signed in, as an app's layout would.
  const Root = defineComponent(() => {
    const session = useAuth()
    return () => (session.isAuthenticated ? h(ItemsPage) : null)
  })
  const wrapper = mount(Root, { global: { plugins: [createPinia(), auth] } })

  await auth.store.login({ username: 'alice', password: 'secret' })
  await flushPromises()

  expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['first', 'second'])
})

it('shows an error when nobody is signed in', async () => {
  stubAuthServer()
  const wrapper = mount(ItemsPage, { global: { plugins: [createPinia(), createTestAuth()] } })
  await flushPromises()
  expect(wrapper.text()).toBe('Could not load the items.')
})
