import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

// The Docker CLI and free ports, for the tests that build and run the image.

export interface DockerRun { code: number | null, stdout: string, stderr: string }

/** Runs `docker <args>`; killed after `timeoutMs`. Never rejects: the exit code tells. */
export function docker (args: string[], timeoutMs = 60_000): Promise<DockerRun> {
  return new Promise(resolve => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', err => { stderr += String(err) })
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** `docker <args>` that must succeed: its standard output, trimmed. */
export async function dockerOk (args: string[], timeoutMs?: number): Promise<string> {
  const r = await docker(args, timeoutMs)
  if (r.code !== 0) throw new Error(`docker ${args[0]} failed (${r.code}):\n${(r.stderr + r.stdout).slice(-4000)}`)
  return r.stdout.trim()
}

/** A TCP port free on 127.0.0.1 just now. */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      s.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}
