import { computed, getCurrentScope, onScopeDispose, shallowRef, watch, type ComputedRef } from 'vue'
import { isClient } from './env'
import { secondsLeft } from './expiry'
import { currentSession } from './store'

/** What {@link useTokenExpiry} returns. */
export interface UseTokenExpiryReturn {
  /** When the access token expires (ms since epoch, local clock, skew-corrected), or `null`. */
  expiresAt: ComputedRef<number | null>
  /** Whole seconds until expiry (never negative), or `null` without an expiring token. */
  secondsLeft: ComputedRef<number | null>
  isExpired: ComputedRef<boolean>
}

/**
 * A countdown of the access token, ticking once a second while the calling component (or effect
 * scope) is alive; outside a scope it does not tick.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * const { secondsLeft } = useTokenExpiry()
 * </script>
 * <template>Token expires in {{ secondsLeft }} s</template>
 * ```
 */
export function useTokenExpiry(): UseTokenExpiryReturn {
  const session = currentSession('useTokenExpiry()')
  const now = shallowRef(Date.now())
  const expiresAt = computed(() => session.held.value?.expiresAt ?? null)
  if (isClient && getCurrentScope()) {
    const timer = setInterval(() => (now.value = Date.now()), 1000)
    onScopeDispose(() => clearInterval(timer))
    // A new token is measured against the current time, not the last tick's.
    watch(expiresAt, () => (now.value = Date.now()), { flush: 'sync' })
  }
  return {
    expiresAt,
    secondsLeft: computed(() => secondsLeft(expiresAt.value, now.value)),
    isExpired: computed(() => expiresAt.value !== null && now.value >= expiresAt.value),
  }
}
