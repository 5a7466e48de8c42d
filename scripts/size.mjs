// The size budget: the library alone (peers and dependencies external), as a production app
// build bundles it (minified, tree-shaken, NODE_ENV=production), gzipped. Needs `npm run build`.
// Exits 1 when the figure exceeds scripts/size-budget.json.
import { existsSync, readFileSync } from 'node:fs'
import { measureLibrary, root } from './bundle-size.mjs'

const budgetFile = new URL('./size-budget.json', import.meta.url)
const { gzip: budget } = JSON.parse(readFileSync(budgetFile, 'utf8'))

if (!existsSync(`${root}dist/index.js`)) {
  console.error('size: dist/index.js is missing; run `npm run build` first.')
  process.exit(1)
}

const { gzip, bytes, code } = await measureLibrary()

// The testing kit is an entry of its own: nothing of it may reach an app's production bundle.
const testingCode = ['createTestingAuth', 'createFakeAuthServer', 'Injected fault', 'test-user']
const leaked = testingCode.filter((marker) => code.includes(marker))
if (leaked.length) {
  console.error(`size: the main entry carries testing-kit code (${leaked.join(', ')}).`)
  process.exit(1)
}
const line = `size: vue-refresh-auth ${gzip} B min+gzip (${bytes} B min), budget ${budget} B`

if (gzip > budget) {
  console.error(
    `${line}: OVER BUDGET by ${gzip - budget} B.\n` +
      'Make the addition smaller (dev-only code behind __DEV__, shorter paths), or raise the ' +
      '"gzip" budget in scripts/size-budget.json with the reason in the commit message.',
  )
  process.exit(1)
}
console.log(`${line}: ok`)
