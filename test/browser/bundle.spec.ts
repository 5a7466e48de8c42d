// The playground as it ships (built by ./globalSetup.ts in production mode): devtools code must not
// be in it, since `__DEV__` guards the dynamic import of src/devtools.ts.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, inject, it } from 'vitest'

it('ships no devtools code in the production build of the playground', async () => {
  const dir = join(inject('playgroundDir'), 'assets')
  const files = (await readdir(dir)).filter((file) => file.endsWith('.js'))
  const code = (await Promise.all(files.map((file) => readFile(join(dir, file), 'utf8')))).join(
    '\n',
  )
  expect(code).toContain('vue-refresh-auth') // the library itself is there (its BroadcastChannel name)
  for (const marker of [
    'setupDevtoolsPlugin',
    'addTimelineEvent',
    'addInspector',
    'expires in',
    '__VUE_DEVTOOLS',
  ]) {
    expect(code).not.toContain(marker)
  }
})
