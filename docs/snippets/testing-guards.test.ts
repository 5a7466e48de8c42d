// @vitest-environment happy-dom
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { afterEach, expect, it, vi } from 'vitest'
import { createAuth } from 'vue-refresh-auth'
import { stubAuthServer } from './testing-fake-server'

afterEach(() => {
  vi.unstubAllGlobals()
})

function setup() {
  const Page = { render: () => null }
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: Page, meta: { requiresAuth: true } },
      { path: '/login', component: Page, meta: { guestOnly: true } },
    ],
  })
  const auth = createAuth({ router, restore: false, crossTab: false, devtools: false })
  createApp(Page).use(createPinia()).use(router).use(auth)
  return { router, auth }
}

it('sends guests to the login page and brings them back after login', async () => {
  stubAuthServer()
  const { router, auth } = setup()

  await router.push('/')
  expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/')

  await auth.store.login({ username: 'alice', password: 'secret' })
  expect(router.currentRoute.value.fullPath).toBe('/')
})
