import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { SEED } from '../helpers/app.js'
import type { ServerProcess } from '../helpers/process.js'

// Shared pieces of the robustness tests: temporary directories, a seed with many
// users, and bounded HTTP calls against a real server process.

export async function tempDir (t: Test, prefix = 'hq-mock-robust-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A 32-hex id derived from a number, so generated users are stable. */
export function hexId (n: number, prefix = 'ab'): string {
  return (prefix + n.toString(16).padStart(30, '0')).slice(0, 32)
}

/** The bundled seed with `count` extra mobile workers in domain demo (load-000 …). */
export async function seedWithUsers (dir: string, count: number): Promise<{ path: string, ids: string[] }> {
  const seed = JSON.parse(await readFile(SEED, 'utf8'))
  const template = seed.domains.demo.users[0]
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const id = hexId(i)
    ids.push(id)
    seed.domains.demo.users.push({
      ...structuredClone(template),
      id,
      username: `load-${String(i).padStart(3, '0')}@demo.commcarehq.org`,
      password: undefined,
      password_hash: null,
      first_name: `Load ${i}`,
      groups: [],
      locations: [],
      primary_location: null,
      user_data: {}
    })
  }
  const path = join(dir, 'seed.json')
  await writeFile(path, JSON.stringify(seed))
  return { path, ids }
}

/** Stops a server process started by a test; SIGKILL if it does not go in 10 s. */
export async function stop (p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGTERM')
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000)
  await p.exited
  clearTimeout(timer)
}

export const ADMIN_HEADERS = { authorization: 'ApiKey admin@example.org:demo-api-key' }

/** fetch with a time bound, so a hung server fails the test instead of stalling it. */
export function call (url: string, init: RequestInit = {}, ms = 10_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(ms) })
}

export async function putJson (base: string, path: string, body: unknown, ms = 10_000): Promise<Response> {
  return call(base + path, {
    method: 'PUT',
    headers: { ...ADMIN_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  }, ms)
}

export async function getJson (base: string, path: string): Promise<{ status: number, body: any }> {
  const res = await call(base + path, { headers: ADMIN_HEADERS })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Why the tests cannot run here, or null when a tmpfs can be mounted. */
export function mountable (): string | null {
  if (process.getuid?.() !== 0) return 'skipped: not running as root, so no tmpfs can be mounted'
  const dir = mkdtempSync(join(tmpdir(), 'hq-mock-probe-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' })
    execFileSync('umount', [dir], { stdio: 'ignore' })
    return null
  } catch {
    return 'skipped: mount -t tmpfs is not available (no mount command or no CAP_SYS_ADMIN)'
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function tinyTmpfs (t: Test, size = '512k'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-disk-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  t.teardown(async () => {
    try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }) } catch {}
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** Writes a file until the file system says it is full. */
export async function fillUp (path: string): Promise<void> {
  const fh = await open(path, 'w')
  const chunk = Buffer.alloc(4096, 120)
  try {
    for (let i = 0; i < 100_000; i++) await fh.write(chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    await fh.close().catch(() => {})
  }
  // Also take the last partial block.
  const small = await open(path, 'a')
  try {
    for (let i = 0; i < 4096; i++) await small.write(Buffer.from('x'))
  } catch {} finally {
    await small.close().catch(() => {})
  }
}
