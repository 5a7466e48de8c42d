// A Stryker reporter that appends each mutant's result to reports/mutation/live.jsonl as soon as
// it is known, so the survivors of a long `npm run test:mutation` can be read (and tests for them
// written) before the run ends: `grep -v '"Killed"' reports/mutation/live.jsonl`. At the end it
// writes the run's duration to reports/mutation/run.json.
// https://stryker-mutator.io/docs/stryker-js/plugins/
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { declareFactoryPlugin, PluginKind } from '@stryker-mutator/api/plugin'

const FILE = 'reports/mutation/live.jsonl'
// How long the run took, for bench/results.md §6: from this reporter's start (before the initial
// test run) to the final report.
const RUN = 'reports/mutation/run.json'

function createLiveReporter() {
  mkdirSync('reports/mutation', { recursive: true })
  writeFileSync(FILE, '')
  const startedAt = new Date()
  return {
    onMutationTestReportReady() {
      const endedAt = new Date()
      const seconds = Math.round((endedAt.getTime() - startedAt.getTime()) / 1000)
      writeFileSync(RUN, `${JSON.stringify({ startedAt, endedAt, seconds }, null, 2)}\n`)
    },
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
