/** A JSON answer. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

/** 128 random bits, hex: refresh tokens, session ids, jtis. */
export const randomId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')

/** A request's JSON body when it is an object, else `{}`. */
export async function readBody(request: Request): Promise<Record<string, unknown>> {
  try {
    const body = JSON.parse((await request.clone().text()) || '{}')
    return body && typeof body === 'object' ? body : {}
  } catch {
    return {}
  }
}
