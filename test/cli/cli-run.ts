import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { CLI, startProcess, type ServerProcess } from '../helpers/process.js'
import type { DriftReport } from '../../src/verify/verify.js'
import type { Transcript } from '../../src/verify/transcript.js'

// Running the built command (dist/cli.js) as a real process, for the import,
// record and verify tests.

export interface CliResult { code: number | null, stdout: string, stderr: string }

export function runCli (args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000)
    child.on('exit', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'hq-mock-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A server process stopped when the test ends. */
export async function server (t: Test, args: string[]): Promise<ServerProcess> {
  const s = await startProcess(['--in-memory', ...args])
  t.teardown(async () => { s.child.kill('SIGTERM'); await s.exited })
  return s
}

/** The bundled seed's admin on demo, as `record` and `import` name their target. */
export const TARGET = ['--domain', 'demo', '--username', 'admin@example.org', '--api-key', 'demo-api-key']

/** Records a transcript from a target, with the throwaway-worker lifecycle. */
export async function recordFrom (t: Test, url: string, dir: string, name: string): Promise<Transcript> {
  const out = join(dir, `${name}.json`)
  const run = await runCli(['record', '--url', url, ...TARGET, '--allow-writes', '--out', out])
  t.equal(run.code, 0, 'exits 0', { output: run.stderr })
  return JSON.parse(readFileSync(out, 'utf8')) as Transcript
}

/** Verifies a transcript against a mock and reads the JSON report. */
export async function verifyAgainst (t: Test, transcript: string, mockUrl: string, dir: string, name: string): Promise<{ code: number | null, stdout: string, report: DriftReport }> {
  const report = join(dir, `${name}-report.json`)
  const run = await runCli(['verify', '--transcript', transcript, '--mock', mockUrl, '--mock-api-key', 'demo-api-key', '--report', report])
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
  return { code: run.code, stdout: run.stdout, report: JSON.parse(readFileSync(report, 'utf8')) as DriftReport }
}
