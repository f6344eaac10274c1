import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  url: string
  output: () => string
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>
}

/**
 * Starts the real server (the built CLI) on a free port and resolves once it
 * prints its URL. Rejects with the output when it exits first.
 */
export function startProcess (args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | string>(resolve => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out}`)), 20_000)
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        child.stdout!.off('data', check)
        resolve({ child, url: m[1], output: () => out, exited })
      }
    }
    child.stdout!.on('data', check)
    exited.then(code => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}) before listening:\n${out}`))
    }, () => {})
  })
}

/** Runs the CLI to completion (for start-up failures); resolves with its code and output. */
export function runToExit (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string, output: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? signal ?? -1, output: out })
    })
  })
}
