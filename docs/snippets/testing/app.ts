// The small app the example tests exercise: a router with a login page, a protected list and an
// admin page, and the components of the guide (../LoginPage.vue, ../ItemsPage.vue).
import { h } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import ItemsPage from '../ItemsPage.vue'
import LoginPage from '../LoginPage.vue'

export function createAppRouter() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => h('p', 'Home') } },
      { path: '/login', component: LoginPage, meta: { guestOnly: true } },
      { path: '/items', component: ItemsPage, meta: { requiresAuth: true } },
      { path: '/admin', component: { render: () => h('p', 'Admin') }, meta: { roles: ['admin'] } },
    ],
  })
}

/** The users of the fake server in these tests. */
export const users = [
  { username: 'alice', password: 'alice-password', name: 'Alice', roles: ['user'] },
  { username: 'ada', password: 'ada-password', name: 'Ada', roles: ['user', 'admin'] },
]
