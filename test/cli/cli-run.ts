import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { CLI, startProcess, type ServerProcess } from '../helpers/process.js'

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
  t.teardown(() => { s.child.kill('SIGTERM') })
  return s
}
