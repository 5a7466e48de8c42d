// #region typed
import { storeToRefs } from 'pinia'
import { watch } from 'vue'
import { createAuth, useAuth, type DefaultClaims } from 'vue-refresh-auth'

// What your access token carries, and what GET /auth/me returns.
export interface Claims extends DefaultClaims {
  name: string
  roles: string[]
}
export interface User {
  id: string
  name: string
  email: string
}

export const auth = createAuth<Claims, User>({
  endpoints: { user: 'GET /auth/me' }, // loaded after login and after the start-up restore
})

export function useSession() {
  return useAuth<Claims, User>()
}
// #endregion typed

// #region use
export function greeting() {
  const session = useSession()
  if (!session.isAuthenticated) return 'Hello, guest'
  // claims come from the token (decoded, not verified: the server verifies), user from /auth/me
  return `Hello, ${session.user?.name ?? session.claims?.name}`
}

export function canEdit() {
  return useSession().hasRole('editor') // true when the roles include 'editor'
}
// #endregion use

// #region refs
export function useSessionRefs() {
  const session = useSession()
  // State and getters as refs, for templates and watchers; actions stay on the store.
  const { status, isAuthenticated, expiresAt, error } = storeToRefs(session)
  watch(status, (now, before) => console.info(`auth: ${before} → ${now}`))
  return { status, isAuthenticated, expiresAt, error, logout: session.logout }
}
// #endregion refs

// #region roles
// Roles somewhere else than claims.roles / claims.role: read them from the user, for instance.
export const authWithUserRoles = createAuth<Claims, User & { permissions: string[] }>({
  endpoints: { user: 'GET /auth/me' },
  roles: (_claims, user) => user?.permissions ?? [],
})
// #endregion roles
