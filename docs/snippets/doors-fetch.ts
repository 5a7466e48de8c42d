import { useFetchWithAuth } from 'vue-refresh-auth'

interface Data {
  items: string[]
  at: string
}

// #region basics
export async function loadData(): Promise<Data | null> {
  const fetchWithAuth = useFetchWithAuth()
  // Rejects with an AuthError when the session cannot answer; every HTTP answer resolves.
  const response = await fetchWithAuth('/api/data')
  if (response.status === 401) return null // still 401 after the refresh and the replay
  if (!response.ok) throw new Error(`GET /api/data: ${response.status}`)
  return response.json()
}
// #endregion basics

// #region bodies
export async function upload(file: File) {
  const fetchWithAuth = useFetchWithAuth()
  const form = new FormData()
  form.set('file', file)
  // FormData, a Blob or File, a string, URLSearchParams, an ArrayBuffer: replayed intact.
  // Not file.stream(): a ReadableStream is sent once, and its 401 rejects with unauthorized.
  return fetchWithAuth('/api/files', { method: 'POST', body: form })
}

export async function save(body: unknown) {
  const fetchWithAuth = useFetchWithAuth()
  // A Request is cloned before it is sent, so its body is there for the replay too.
  const request = new Request('/api/echo', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return fetchWithAuth(request)
}
// #endregion bodies
