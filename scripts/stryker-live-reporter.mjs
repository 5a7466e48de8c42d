// A Stryker reporter that appends each mutant's result to reports/mutation/live.jsonl as soon as
// it is known, so the survivors of a long `npm run test:mutation` can be read (and tests for them
// written) before the run ends: `grep -v '"Killed"' reports/mutation/live.jsonl`.
// https://stryker-mutator.io/docs/stryker-js/plugins/
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { declareFactoryPlugin, PluginKind } from '@stryker-mutator/api/plugin'

const FILE = 'reports/mutation/live.jsonl'

function createLiveReporter() {
  mkdirSync('reports/mutation', { recursive: true })
  writeFileSync(FILE, '')
  return {
    onMutantTested(m) {
      const { id, status, fileName, mutatorName, replacement, location } = m
      const at = `${fileName.replace(/^.*?\/src\//, 'src/')}:${location.start.line}:${location.start.column}`
      appendFileSync(FILE, `${JSON.stringify({ status, at, mutatorName, replacement, id })}\n`)
    },
  }
}
createLiveReporter.inject = []

export const strykerPlugins = [
  declareFactoryPlugin(PluginKind.Reporter, 'live', createLiveReporter),
]
