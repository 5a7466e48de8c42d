import { createRouter, createWebHistory } from 'vue-router'
import AdminPage from './pages/AdminPage.vue'
import DashboardPage from './pages/DashboardPage.vue'
import ForbiddenPage from './pages/ForbiddenPage.vue'
import LivePage from './pages/LivePage.vue'
import LoginPage from './pages/LoginPage.vue'
import NotFoundPage from './pages/NotFoundPage.vue'

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    // Home is the dashboard; `/dashboard` is the same page under its own name.
    { path: '/', alias: '/dashboard', component: DashboardPage, meta: { requiresAuth: true } },
    { path: '/login', component: LoginPage, meta: { guestOnly: true } },
    { path: '/live', component: LivePage, meta: { requiresAuth: true } },
    { path: '/admin', component: AdminPage, meta: { roles: ['admin'] } },
    { path: '/forbidden', component: ForbiddenPage },
    { path: '/:path(.*)*', component: NotFoundPage },
  ],
})
