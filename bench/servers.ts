import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_AUTH } from './seed.js'

// The servers under test run as separate processes, started the way users
// start them, and are timed from spawn to their first healthy answer.

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
let cli = CLI

/** Runs the mock from another checkout's built `dist/` (to measure an older commit with the same benchmark). */
export function useServerDir (dir: string): string {
  cli = join(resolve(dir), 'dist', 'cli.js')
  return cli
}
export const CEILING = fileURLToPath(new URL('./ceiling.mjs', import.meta.url))

export interface Server {
  child: ChildProcess
  url: string
  /** Milliseconds from spawn to the first 200 from /__mock/health. */
  startMs: number
  output: () => string
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** A path that answers 200 once the server serves (with the benchmark's credentials). */
async function answers (url: string, path: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}${path}`, { headers: { authorization: BENCH_AUTH } })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false
  }
}

async function spawnUntilHealthy (script: string, args: string[], port: number, timeoutMs: number, nodeArgs: string[] = [], probe = '/__mock/health'): Promise<Server> {
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  let exited = false
  child.on('exit', () => { exited = true })
  while (!(await answers(url, probe))) {
    if (exited) throw new Error(`${script} exited before answering:\n${out}`)
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL')
      throw new Error(`${script} did not answer /__mock/health within ${timeoutMs} ms:\n${out}`)
    }
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  return { child, url, startMs: performance.now() - started, output: () => out }
}

/**
 * The real mock (the built CLI) on a data directory, fsync on as by default;
 * `startMs` is the time to the first 200 from `probe`.
 */
export async function startMock (seedPath: string, dataDir: string, nodeArgs: string[] = [], probe?: string): Promise<Server> {
  const port = await freePort()
  const args = ['--port', String(port), '--seed', seedPath, '--data', dataDir, '--log-level', 'warn']
  return await spawnUntilHealthy(cli, args, port, 300_000, nodeArgs, probe)
}

export async function startCeiling (): Promise<Server> {
  return await spawnUntilHealthy(CEILING, [], await freePort(), 30_000)
}

/** Resident and peak resident memory of a running process, in MB (Linux). */
export async function memoryOf (pid: number): Promise<{ rssMb: number, peakMb: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
  } catch {
    return null
  }
}

/** Stops a server: SIGTERM for a graceful close, SIGKILL to pull the plug. */
export async function stop (server: Server, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  const { child } = server
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise(resolve => child.once('exit', resolve))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await gone
  clearTimeout(timer)
}
