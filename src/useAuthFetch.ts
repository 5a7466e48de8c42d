import type { $Fetch } from 'ofetch'
import { currentSession } from './store'

/**
 * The authenticated ofetch instance: `Authorization: Bearer` to allowed origins only, one shared
 * refresh for every 401, each failed request replayed once.
 *
 * @example
 * ```ts
 * const api = useAuthFetch()
 * const items = await api<Item[]>('/items')
 * ```
 */
export function useAuthFetch(): $Fetch {
  return currentSession('useAuthFetch()').fetch
}
