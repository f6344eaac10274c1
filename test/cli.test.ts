import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { CLI, startProcess } from './helpers/process.js'

// The built CLI exactly as `npx commcare-hq-mock` runs it (package.json "bin").

const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string, bin: Record<string, string> }
const ADMIN = 'ApiKey admin@example.org:demo-api-key'

function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

t.test('bin points at the built CLI', async t => {
  t.equal(PKG.bin['commcare-hq-mock'], './dist/cli.js')
  t.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node/)
})

t.test('--help lists the options and exits 0', async t => {
  const { code, stdout, stderr } = await run(['--help'])
  t.equal(code, 0)
  t.equal(stderr, '')
  t.match(stdout, /^commcare-hq-mock: /)
  for (const flag of ['--port', '--data', '--seed', '--in-memory', '--admin-token', '--journal-size', '--rate-limit', '--slashless', '--password-attempts', '--help', '--version']) {
    t.ok(stdout.includes(flag), flag)
  }
  t.equal((await run(['-h'])).stdout, stdout)
})

t.test('--version prints the package version and exits 0', async t => {
  const { code, stdout } = await run(['--version'])
  t.equal(code, 0)
  t.equal(stdout, `${PKG.version}\n`)
  t.equal((await run(['-v'])).stdout, stdout)
})

t.test('a bad flag or value exits 2 with a message', async t => {
  const bad = await run(['--no-such-flag'])
  t.equal(bad.code, 2)
  t.equal(bad.stdout, '')
  t.match(bad.stderr, /^commcare-hq-mock: .*no-such-flag.*\nRun with --help for the options\.\n$/s)
  const value = await run(['--journal-size', 'lots'])
  t.equal(value.code, 2)
  t.match(value.stderr, /journal-size must be a whole number/)
  const slashless = await run(['--slashless', 'sometimes'])
  t.equal(slashless.code, 2)
  t.match(slashless.stderr, /--slashless must be redirect or serve, not 'sometimes'/)
})

t.test('the real process: admin token from the environment and --journal-size', async t => {
  const server = await startProcess(['--in-memory', '--journal-size', '3'], { MOCK_ADMIN_TOKEN: 'ci-token' })
  t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
  t.match(server.output(), /\/__mock\/\* requires the admin token/)
  t.notOk(server.output().includes('ci-token'), 'the token is not printed')

  t.equal((await fetch(`${server.url}/__mock/reset`, { method: 'POST' })).status, 401)
  const user = await fetch(`${server.url}/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/`, { headers: { authorization: ADMIN } })
  t.equal(user.status, 200, 'CommCare routes work without the admin token')
  for (let i = 0; i < 6; i++) await fetch(`${server.url}/a/demo/api/v0.5/user/?limit=${i + 1}`, { headers: { authorization: ADMIN } })
  const count = await fetch(`${server.url}/__mock/requests/count`, { headers: { 'x-mock-admin-token': 'ci-token' } })
  t.same(await count.json(), { count: 3 })
  t.equal((await fetch(`${server.url}/__mock/reset`, { method: 'POST', headers: { authorization: 'Bearer ci-token' } })).status, 200)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})
