// @vitest-environment node
// The demo server's OpenAPI document (playground/server/openapi.json): it describes what the
// server answers, and the types the playground's openapi-fetch client uses are generated from it.
import { readFile } from 'node:fs/promises'
import openapiTS, { astToString } from 'openapi-typescript'
import { describe, expect, it } from 'vitest'
import document from '../playground/server/openapi.json' with { type: 'json' }
import { useDemoServer } from './demo'

const server = useDemoServer()

describe('the demo API’s OpenAPI document', () => {
  it('has types in playground/src/openapi.ts that are generated from it (npm run api:types)', async () => {
    const generated = astToString(
      await openapiTS(new URL('../playground/server/openapi.json', import.meta.url)),
    )
    const committed = await readFile(
      new URL('../playground/src/openapi.ts', import.meta.url),
      'utf8',
    )
    expect(committed.endsWith(generated)).toBe(true)
  })

  it('describes what the server answers: every route, its required fields, and its 401', async () => {
    const { store } = await server.signedIn()
    const token = store.accessToken!
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const url = `${server.url}/api${path}`
        const init = {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: method === 'post' ? JSON.stringify({ hello: 'world' }) : undefined,
        }
        const ok = await fetch(url, init)
        expect(ok.status, `${method} ${path}`).toBe(200)
        const schema = (operation.responses as Record<string, any>)['200'].content[
          'application/json'
        ].schema.$ref
          .split('/')
          .at(-1) as keyof typeof document.components.schemas
        const body = await ok.json()
        for (const field of document.components.schemas[schema].required) {
          expect(body, `${method} ${path}`).toHaveProperty(field)
        }
        const refused = await fetch(url, {
          ...init,
          headers: { 'content-type': 'application/json' },
        })
        expect(refused.status).toBe(401)
        expect(Object.keys(await refused.json()).sort()).toEqual(['error', 'message'])
      }
    }
  })
})
