// Soak: a bounded mixed load against the real server process, to show that it
// keeps answering and that its memory stays flat. Prints requests served,
// errors and the server's RSS at start and end.
//
//   npm run soak -- --seconds 120 [--connections 20]
//
// Exit code 1 when a request failed or got an answer its kind never gets, or
// when the resident memory at the end is more than 1.5 × (warm start) + 32 MiB.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    connections: { type: 'string', default: '20' }
  }
})
const seconds = Number(values.seconds)
const connections = Number(values.connections)
if (!(seconds > 0) || !(connections > 0)) throw new Error('--seconds and --connections must be positive numbers')

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const ADMIN = { authorization: 'ApiKey admin@example.org:demo-api-key' }
const JSON_ADMIN = { ...ADMIN, 'content-type': 'application/json' }
const JDOE = '3c5a623af057e23a32ae4000cf291339'
const USERS = [JDOE, '984bb82bf7f88bb700b750c1331c324e', 'cbb6c694ab1a462886d20367ea221249', '85c8eceec2668fe9b26cb2a6ce6e64fd']

async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb * 1024
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

interface Op {
  name: string
  expect: number[]
  run: (base: string, n: number) => Promise<Response>
}

const OPS: Op[] = [
  { name: 'GET list', expect: [200], run: (b, n) => fetch(`${b}/a/demo/api/v0.5/user/?limit=${1 + (n % 20)}`, { headers: ADMIN }) },
  { name: 'GET detail', expect: [200], run: (b, n) => fetch(`${b}/a/demo/api/user/v1/${USERS[n % USERS.length]}/`, { headers: ADMIN }) },
  { name: 'PUT edit', expect: [200], run: (b, n) => fetch(`${b}/a/demo/api/v0.5/user/${USERS[n % USERS.length]}/`, { method: 'PUT', headers: JSON_ADMIN, body: JSON.stringify({ first_name: `Soak ${n}`, phone_numbers: [`+2547${n % 100000000}`], user_data: { chw_id: String(n) } }) }) },
  { name: 'PUT refused', expect: [400], run: (b, n) => fetch(`${b}/a/demo/api/v0.5/user/${JDOE}/`, { method: 'PUT', headers: JSON_ADMIN, body: `{"username": "x${n}"}` }) },
  { name: 'PUT not JSON', expect: [400], run: b => fetch(`${b}/a/demo/api/v0.5/user/${JDOE}/`, { method: 'PUT', headers: JSON_ADMIN, body: '{"first_name": ' }) },
  { name: 'wrong key', expect: [401], run: b => fetch(`${b}/a/demo/api/v0.5/user/`, { headers: { authorization: 'ApiKey admin@example.org:nope' } }) },
  { name: 'unknown domain', expect: [404], run: b => fetch(`${b}/a/nowhere/api/v0.5/user/`, { headers: ADMIN }) },
  {
    name: 'create + retire',
    // A reset between the two steps makes the retire a 404.
    expect: [204, 404],
    run: async (b, n) => {
      const created = await fetch(`${b}/a/demo/api/v0.5/user/`, { method: 'POST', headers: JSON_ADMIN, body: JSON.stringify({ username: `soak-${process.pid}-${n}`, password: 'soak-pw' }) })
      if (created.status !== 201) return created
      const { id } = await created.json() as { id: string }
      return fetch(`${b}/a/demo/api/v0.5/user/${id}/`, { method: 'DELETE', headers: ADMIN })
    }
  }
]

async function main (): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-soak-'))
  const child = spawn(process.execPath, [CLI, '--port', '0', '--data', join(dir, 'data'), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 20_000)
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(output)
        if (m !== null) { clearTimeout(timer); resolve(m[1]) }
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`the server exited (${code}):\n${output}`)) })
    })
    const pid = child.pid!
    const rssStart = await rssOf(pid)
    const counts = new Map<string, { served: number, errors: number }>(OPS.map(o => [o.name, { served: 0, errors: 0 }]))
    const samples: number[] = []
    const examples: string[] = []
    const started = Date.now()
    const deadline = started + seconds * 1000
    let rssWarm = 0
    let n = 0

    // Resets keep the data set bounded (created users stay in the file as retired).
    const reset = setInterval(() => { fetch(`${base}/__mock/reset`, { method: 'POST' }).then(r => r.arrayBuffer(), () => {}).catch(() => {}) }, 10_000)
    const sampler = setInterval(() => {
      rssOf(pid).then(r => {
        samples.push(r)
        if (rssWarm === 0 && Date.now() - started > Math.min(10_000, seconds * 100)) rssWarm = r
      }, () => {})
    }, 1000)

    const worker = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const i = n++
        const op = OPS[i % OPS.length]
        const c = counts.get(op.name)!
        try {
          const res = await op.run(base, i)
          await res.arrayBuffer()
          if (op.expect.includes(res.status)) c.served++
          else {
            c.errors++
            if (examples.length < 5) examples.push(`${op.name}: ${res.status} ${res.headers.get('x-mock-reason') ?? ''}`)
          }
        } catch (err) {
          c.errors++
          if (examples.length < 5) examples.push(`${op.name}: ${(err as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: connections }, worker))
    clearInterval(reset)
    clearInterval(sampler)
    const elapsed = (Date.now() - started) / 1000
    const rssEnd = await rssOf(pid)
    const served = [...counts.values()].reduce((a, c) => a + c.served, 0)
    const errors = [...counts.values()].reduce((a, c) => a + c.errors, 0)
    const peak = Math.max(rssStart, ...samples)
    const warm = rssWarm === 0 ? rssStart : rssWarm

    console.log(`soak: ${seconds} s, ${connections} connections, server ${base}`)
    for (const [name, c] of counts) console.log(`  ${name.padEnd(16)} ${String(c.served).padStart(8)} served  ${c.errors} errors`)
    console.log(`requests served: ${served + (counts.get('create + retire')?.served ?? 0)} HTTP requests, ${served} operations (${(served / elapsed).toFixed(0)}/s)`)
    console.log(`errors: ${errors}${examples.length > 0 ? ' — e.g. ' + examples.join(' | ') : ''}`)
    const tenths = Array.from({ length: 10 }, (_, i) => samples[Math.min(samples.length - 1, Math.floor((i + 1) * samples.length / 10) - 1)] ?? rssEnd)
    console.log(`RSS every ${(seconds / 10).toFixed(0)} s: ${tenths.map(r => (r / 1024 / 1024).toFixed(0)).join(' ')} MiB`)
    console.log(`RSS: start ${mib(rssStart)}, warm (after ${Math.min(10, seconds / 10)} s) ${mib(warm)}, end ${mib(rssEnd)}, peak ${mib(peak)}`)
    const flat = rssEnd <= warm * 1.5 + 32 * 1024 * 1024
    console.log(flat ? 'memory: flat' : 'memory: GROWING')
    return errors === 0 && flat ? 0 : 1
  } finally {
    child.kill('SIGTERM')
    await new Promise(resolve => child.once('exit', resolve)).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

main().then(code => { process.exitCode = code }, err => {
  console.error(err)
  process.exitCode = 1
})
