import type { HqClient } from '../client/hq-client.js'
import { VERSION } from '../version.js'
import { compareResponses, ruleName, type Drift } from './compare.js'
import { runSteps, throwawayVars, RUN_VARS } from './run.js'
import { fill, recordResponse, type RecordedResponse, type Transcript } from './transcript.js'

// Replays a transcript against the mock and compares each answer with the
// recorded one.

export const REPORT_FORMAT = 'commcare-hq-mock-drift-report/1'

export interface ExchangeResult {
  name: string
  rule: string
  /** The request as sent (placeholders filled, no credentials). */
  request: { method: string, path: string, query: string, auth: string }
  status: { recorded: number, mock: number }
  drifts: Array<Drift & { rule_name: string }>
  /** Both answers, only where there is drift. */
  recorded?: RecordedResponse
  mock?: RecordedResponse
}

export interface DriftReport {
  format: typeof REPORT_FORMAT
  tool: string
  created_at: string
  transcript: { target: string, recorded_at: string, domain: string, username: string, writes: boolean }
  mock: string
  compared: number
  skipped: Array<{ name: string, missing: string[] }>
  with_drift: number
  drift_count: number
  /** Drift counts per BEHAVIOR.md section. */
  by_rule: Record<string, number>
  results: ExchangeResult[]
}

function pick (vars: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter(n => vars[n] !== undefined && n !== 'created_password').map(n => [n, vars[n]]))
}

export async function verify (transcript: Transcript, mock: HqClient, log: (line: string) => void = () => {}): Promise<DriftReport> {
  const vars: Record<string, string> = { ...transcript.vars }
  for (const k of RUN_VARS) delete vars[k]
  if (transcript.writes) Object.assign(vars, throwawayVars())
  // The mock's web user may have another name (--mock-username): then it is normalized like the run's own values.
  vars.username = mock.username
  const normalized: readonly string[] = mock.username.toLowerCase() === transcript.username.toLowerCase() ? RUN_VARS : [...RUN_VARS, 'username']
  const results: ExchangeResult[] = []
  const skipped: DriftReport['skipped'] = []
  let i = 0
  await runSteps(mock, transcript.exchanges, vars, {
    onAnswer: (step, res) => {
      const recorded = transcript.exchanges[i++]
      const mine = recordResponse(res)
      const drifts = compareResponses(recorded.response, mine, step.rule, {
        recorded: { base: transcript.target, vars: pick({ ...transcript.vars, username: transcript.username }, normalized) },
        mock: { base: mock.baseUrl, vars: pick(vars, normalized) }
      }).map(d => ({ ...d, rule_name: ruleName(d.rule) }))
      const r = fill(step.request, vars)
      const result: ExchangeResult = {
        name: step.name,
        rule: step.rule,
        request: { method: r.method, path: r.path, query: r.query, auth: r.auth },
        status: { recorded: recorded.response.status, mock: mine.status },
        drifts
      }
      if (drifts.length > 0) {
        result.recorded = recorded.response
        result.mock = mine
      }
      results.push(result)
    },
    onSkip: (step, missing) => {
      i++
      skipped.push({ name: step.name, missing })
      log(`skipped '${step.name}': no value for ${missing.join(', ')}`)
    },
    log
  })
  const byRule: Record<string, number> = {}
  for (const r of results) for (const d of r.drifts) byRule[d.rule] = (byRule[d.rule] ?? 0) + 1
  return {
    format: REPORT_FORMAT,
    tool: `commcare-hq-mock ${VERSION}`,
    created_at: new Date().toISOString(),
    transcript: { target: transcript.target, recorded_at: transcript.recorded_at, domain: transcript.domain, username: transcript.username, writes: transcript.writes },
    mock: mock.baseUrl,
    compared: results.length,
    skipped,
    with_drift: results.filter(r => r.drifts.length > 0).length,
    drift_count: results.reduce((n, r) => n + r.drifts.length, 0),
    by_rule: byRule,
    results
  }
}

function clip (v: unknown, n = 90): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v)
  return s.length > n ? s.slice(0, n - 1) + '…' : s
}

function pad (s: string, n: number): string {
  return s.length >= n ? s.slice(0, n - 1) + '…' : s + ' '.repeat(n - s.length)
}

/** The summary table and, below it, every drift with its request and the rule. */
export function formatReport (report: DriftReport): string {
  const lines: string[] = []
  lines.push(`recorded from ${report.transcript.target} (${report.transcript.recorded_at}), replayed against ${report.mock}`)
  lines.push('')
  lines.push(`${pad('probe', 52)} ${pad('rule', 6)} ${pad('target', 7)}${pad('mock', 6)} result`)
  for (const r of report.results) {
    const result = r.drifts.length === 0 ? 'ok' : `DRIFT (${r.drifts.length})`
    lines.push(`${pad(r.name, 52)} ${pad(r.rule, 6)} ${pad(String(r.status.recorded), 7)}${pad(String(r.status.mock), 6)} ${result}`)
  }
  for (const s of report.skipped) lines.push(`${pad(s.name, 52)} ${pad('', 6)} ${pad('-', 7)}${pad('-', 6)} skipped (no ${s.missing.join(', ')})`)
  const drifting = report.results.filter(r => r.drifts.length > 0)
  if (drifting.length > 0) {
    lines.push('')
    lines.push('Drift:')
    for (const r of drifting) {
      const q = r.request.query === '' ? '' : `?${r.request.query}`
      lines.push(`- ${r.name}: ${r.request.method} ${r.request.path}${q} (credentials: ${r.request.auth})`)
      for (const d of r.drifts.slice(0, 6)) {
        const what = d.detail ?? `target ${clip(d.recorded)}, mock ${clip(d.mock)}`
        lines.push(`    ${d.aspect} at ${d.where}: ${what} — ${d.rule_name}`)
      }
      if (r.drifts.length > 6) lines.push(`    … and ${r.drifts.length - 6} more (all in the report)`)
    }
  }
  lines.push('')
  const rules = Object.entries(report.by_rule).map(([k, n]) => `${k}: ${n}`).join(', ')
  lines.push(report.drift_count === 0
    ? `No drift: ${report.compared} answers compared, ${report.skipped.length} skipped.`
    : `Drift: ${report.drift_count} difference${report.drift_count === 1 ? '' : 's'} in ${report.with_drift} of ${report.compared} answers (${rules}); ${report.skipped.length} skipped.`)
  return lines.join('\n') + '\n'
}
