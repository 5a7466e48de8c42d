// Builds the playground once per run of the browser tests; each test file serves the build with its
// own demo server (see ./harness.ts).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built playground (`vite build playground`), served as the demo server's `staticDir`. */
    playgroundDir: string
  }
}

export default async function setup(project: TestProject) {
  const outDir = await mkdtemp(join(tmpdir(), 'vue-refresh-auth-playground-'))
  // Vitest runs with NODE_ENV=test; the app is built as it ships, in production mode.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile: fileURLToPath(new URL('../../playground/vite.config.ts', import.meta.url)),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
  project.provide('playgroundDir', outDir)
  return () => rm(outDir, { recursive: true, force: true })
}
