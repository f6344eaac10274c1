import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { freePort } from '../helpers/docker.js'

// The Testcontainers recipe of docs/NODE.md (examples/node/testcontainers.test.mjs,
// included there verbatim) run as written against the Docker engine: the image
// is built from this tree, the recipe starts it, waits for the server's
// "listening on" line and runs its two tests. Skips with a SKIP line when no
// engine is reachable, unless MOCK_REQUIRE_DOCKER=1 (CI).

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const EXAMPLES = fileURLToPath(new URL('../../examples/node/', import.meta.url))
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`
const TAG = `commcare-hq-mock-testcontainers:${RUN_ID}`
const NODE_MAJOR = process.env.MOCK_DOCKER_NODE_VERSION !== undefined && process.env.MOCK_DOCKER_NODE_VERSION !== ''
  ? process.env.MOCK_DOCKER_NODE_VERSION
  : process.versions.node.split('.')[0]

interface Run { code: number | null, out: string, ms: number }

function run (cmd: string, args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<Run> {
  const started = performance.now()
  return new Promise(resolve => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.on('error', err => { out += String(err) })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, out, ms: performance.now() - started })
    })
  })
}

const engine = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 })
if (engine.code !== 0) {
  const why = (engine.out.trim().split('\n')[0] ?? '') || `exit ${engine.code}`
  if (process.env.MOCK_REQUIRE_DOCKER === '1') {
    t.fail(`no Docker engine reachable (${why}) and MOCK_REQUIRE_DOCKER=1`)
  } else {
    t.comment(`SKIP testcontainers recipe: no Docker engine reachable (${why}); set MOCK_REQUIRE_DOCKER=1 to make this a failure`)
    t.test('Testcontainers recipe', { skip: `no Docker engine reachable (${why})` }, async () => {})
  }
} else {
  t.setTimeout(600_000)
  t.teardown(async () => { await run('docker', ['rmi', '-f', '--no-prune', TAG]) })

  t.test('the recipe of docs/NODE.md starts the image and its tests pass', async t => {
    const built = await run('docker', ['build', '--network', 'host', '--build-arg', `NODE_VERSION=${NODE_MAJOR}`, '-t', TAG, ROOT], { timeoutMs: 540_000 })
    t.equal(built.code, 0, built.out.slice(-3000))
    t.comment(`docker build: ${(built.ms / 1000).toFixed(1)} s`)
    // A bridge network may be missing (dockerd --bridge=none): the recipe's
    // host-network variant, and Testcontainers told not to look for one.
    const bridge = await run('docker', ['network', 'inspect', 'bridge'])
    const env: NodeJS.ProcessEnv = { HQ_MOCK_IMAGE: TAG }
    if (bridge.code !== 0) {
      Object.assign(env, { HQ_MOCK_HOST_PORT: String(await freePort()), TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' })
    }
    // Ryuk, Testcontainers' reaper, is an image from Docker Hub; the recipe stops its container itself.
    env.TESTCONTAINERS_RYUK_DISABLED = 'true'
    const r = await run(process.execPath, ['--test', '--test-reporter=tap', 'testcontainers.test.mjs'], { cwd: EXAMPLES, env, timeoutMs: 120_000 })
    t.equal(r.code, 0, r.out.slice(-4000))
    t.match(r.out, /^# pass 2$/m)
    t.match(r.out, /^# fail 0$/m)
    const ready = /ready at (\S+) after (\d+) ms/.exec(r.out)
    t.ok(ready !== null, 'the recipe reports when the server was ready')
    t.comment(`start to ready (container start + "listening on"): ${ready?.[2] ?? '?'} ms; whole run ${(r.ms / 1000).toFixed(1)} s${bridge.code !== 0 ? ' (host network)' : ''}`)
    // Testcontainers labels the containers it starts; other tests may run containers of the same image meanwhile.
    const left = await run('docker', ['ps', '-aq', '--filter', 'label=org.testcontainers', '--filter', `ancestor=${TAG}`])
    t.equal(left.out.trim(), '', 'the recipe removed its container')
  })
}
