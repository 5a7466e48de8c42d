import { createRouter, createWebHistory } from 'vue-router'
import { createAuth, isAuthError, useAuth } from 'vue-refresh-auth'

const Page = { template: '<RouterView />' }

// #region routes
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: Page }, // public
    { path: '/login', component: Page, meta: { guestOnly: true } },
    { path: '/account', component: Page, meta: { requiresAuth: true } },
    {
      path: '/reports',
      component: Page,
      meta: { roles: ['analyst', 'admin'] }, // analyst OR admin; implies requiresAuth
      children: [{ path: 'raw', component: Page }], // children inherit meta, and the check
    },
    { path: '/forbidden', component: Page },
  ],
})
// #endregion routes

// #region options
export const auth = createAuth({
  router,
  routes: {
    login: '/login', // where guests are sent (with ?redirect=)
    home: '/', // where signed-in users leave guestOnly pages for, and login() goes by default
    forbidden: '/forbidden', // where a missing role leads (with ?from=); unset, the navigation fails
  },
})
// #endregion options

// #region forbidden
// Without routes.forbidden, a missing role fails the navigation with AuthError('forbidden').
router.onError((error) => {
  if (isAuthError(error, 'forbidden')) alert('You do not have access to that page.')
  else console.error(error)
})
// #endregion forbidden

// #region own-guard
router.beforeEach(async (to) => {
  await auth.ready // only the first navigation really waits
  const session = useAuth()
  if (to.path.startsWith('/billing') && !session.hasRole('owner')) return '/'
  return true
})
// #endregion own-guard
