import { watch } from 'vue'
import type { RouteLocationNormalizedLoaded, Router } from 'vue-router'
import { AuthError } from './errors'
import { pageOrigin } from './env'
import type { Session } from './session'

// Control characters (tab, newline …) are dropped by URL parsing, turning "/\t/evil" into "//evil".
const CONTROL = /[\u0000-\u001F\u007F]/

function isSafePath(path: string): boolean {
  return path.startsWith('/') && path[1] !== '/' && path[1] !== '\\' && !CONTROL.test(path)
}

/**
 * The `redirect` query value as a same-origin path, or `null` when it could lead elsewhere.
 * Every percent-decoding of it must pass too, so an encoded `//` or `\` cannot sneak through a
 * later decode.
 */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || !isSafePath(value)) return null
  let decoded = value
  for (let i = 0; i < 3; i++) {
    try {
      decoded = decodeURIComponent(decoded)
    } catch {
      return null
    }
    if (!isSafePath(decoded)) return null
  }
  const origin = pageOrigin() ?? 'http://localhost'
  try {
    const url = new URL(value, origin)
    return url.origin === origin ? url.pathname + url.search + url.hash : null
  } catch {
    return null
  }
}

const needsAuth = (route: RouteLocationNormalizedLoaded) =>
  Boolean(route.meta.requiresAuth || route.meta.roles?.length)

/**
 * Installs the guards: the first navigation waits for the start-up restore, `requiresAuth` and
 * `roles` send guests to the login page with a way back, `guestOnly` sends users home, and a
 * session that ends on a protected page leads to the login page.
 */
export function installGuards(router: Router, session: Session<any, any>): () => void {
  const { login, home, forbidden } = session.options.routes

  const removeGuard = router.beforeEach(async (to) => {
    // Resolved once the restore settled: no protected or login page renders before that.
    await session.ready
    const signedIn = session.held.value !== null
    if (needsAuth(to) && !signedIn) {
      return { path: login, query: { redirect: to.fullPath } }
    }
    if (to.meta.guestOnly && signedIn) return home
    const required = to.meta.roles
    if (required?.length && !required.some((role) => session.roles().includes(role))) {
      if (forbidden) return { path: forbidden, query: { from: to.fullPath } }
      throw new AuthError(
        'forbidden',
        __DEV__
          ? `${to.fullPath} needs one of the roles ${required.join(', ')}; the user has ${session.roles().join(', ') || 'none'}. Set routes.forbidden to show a page instead of failing the navigation.`
          : '',
      )
    }
    return true
  })

  const stopNavigating = session.onLogin(async () => {
    await router.push(safeRedirect(router.currentRoute.value.query.redirect) ?? home)
  })

  // The session ended elsewhere (logout, rejected refresh, another tab): leave protected pages.
  const stopWatching = watch(
    () => session.held.value !== null,
    (signedIn, was) => {
      const route = router.currentRoute.value
      if (!signedIn && was && needsAuth(route)) {
        void router.push({ path: login, query: { redirect: route.fullPath } })
      } else if (signedIn && !was && route.meta.guestOnly && !session.loggingIn) {
        // Signed in by another tab while this one shows the login page.
        void router.push(safeRedirect(route.query.redirect) ?? home)
      }
    },
  )
  return () => {
    removeGuard()
    stopWatching()
    stopNavigating()
  }
}
