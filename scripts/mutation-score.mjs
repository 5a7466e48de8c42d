// Scores per file from Stryker's JSON report (reports/mutation/mutation.json, written by
// `npm run test:mutation`). `node scripts/mutation-score.mjs` prints them as a Markdown table;
// bench/run.mjs puts the same table in bench/results.md. Scores as Stryker counts them:
// detected (killed + timed out) over detected + undetected (survived + no coverage); compile and
// runtime errors count in neither.
// https://stryker-mutator.io/docs/mutation-testing-elements/mutant-states-and-metrics/
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REPORT = fileURLToPath(new URL('../reports/mutation/mutation.json', import.meta.url))

/** Per file and in total: mutants by state, and the score in percent. */
export function mutationScores(report = JSON.parse(readFileSync(REPORT, 'utf8'))) {
  const count = (mutants) => {
    const by = (...states) => mutants.filter((m) => states.includes(m.status)).length
    const detected = by('Killed', 'Timeout')
    const undetected = by('Survived', 'NoCoverage')
    return {
      mutants: mutants.length,
      killed: by('Killed'),
      timeout: by('Timeout'),
      survived: by('Survived'),
      noCoverage: by('NoCoverage'),
      errors: by('CompileError', 'RuntimeError'),
      score: detected + undetected ? (100 * detected) / (detected + undetected) : 100,
    }
  }
  const files = Object.entries(report.files)
    .map(([file, { mutants }]) => ({ file, ...count(mutants) }))
    .sort((a, b) => a.file.localeCompare(b.file))
  const all = Object.values(report.files).flatMap((f) => f.mutants)
  return { files, total: { file: 'all', ...count(all) }, at: statSync(REPORT).mtime }
}

/** The scores as a Markdown table. */
export function mutationTable({ files, total }) {
  const row = (r, bold = false) => {
    const score = `${r.score.toFixed(1)} %`
    return `| ${bold ? `**${r.file}**` : r.file} | ${r.mutants} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${bold ? `**${score}**` : score} |`
  }
  return [
    '| file | mutants | killed | timed out | survived | no coverage | score |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...files.map((r) => row(r)),
    row(total, true),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(mutationTable(mutationScores()))
}
