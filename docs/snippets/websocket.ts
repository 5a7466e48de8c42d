import { computed } from 'vue'
import { useAuthSocket } from 'vue-refresh-auth'

interface Notice {
  kind: 'notice'
  text: string
}

// #region basic
export function useNotifications() {
  // ws(s)://<page host>/ws?access_token=<token>, opened once signed in, closed on logout.
  const { status, data, send, close } = useAuthSocket<string>('/ws')

  const latest = computed(() => (data.value ? (JSON.parse(data.value) as Notice) : null))
  const subscribe = (topic: string) => send(JSON.stringify({ type: 'subscribe', topic }))

  return { status, latest, subscribe, close }
}
// #endregion basic

// #region options
export function useLiveFeed() {
  return useAuthSocket<string>('wss://realtime.example.com/feed', {
    tokenParam: 'token', // the query parameter the server reads
    authCloseCodes: [4001, 4003], // closes that mean "token no longer good"
    maxReconnects: 10,
    backoff: (attempt) => Math.min(60_000, 1000 * 2 ** attempt),
    // Re-authenticate over the open socket instead of reconnecting after each refresh.
    onTokenRefreshed(token, ws) {
      ws.send(JSON.stringify({ type: 'auth', token }))
    },
  })
}
// #endregion options
