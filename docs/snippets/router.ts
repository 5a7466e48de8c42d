import { createRouter, createWebHistory } from 'vue-router'
import ItemsPage from './ItemsPage.vue'
import LoginPage from './LoginPage.vue'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: ItemsPage, meta: { requiresAuth: true } },
    { path: '/login', component: LoginPage, meta: { guestOnly: true } },
    {
      path: '/admin',
      component: () => import('./AdminPage.vue'),
      meta: { roles: ['admin'] }, // any one of the listed roles
    },
  ],
})
