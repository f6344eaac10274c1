import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { docker, dockerOk, freePort } from '../helpers/docker.js'

// The Python example suite (examples/python) run as an integrator runs it:
// `/usr/bin/python3 -m pytest examples/python -q`, against the image the
// Dockerfile builds (started by the fixture, and as a service container the
// fixture finds through COMMCARE_HQ_MOCK_URL) and against the CLI. Without a
// Docker engine only the CLI run happens (a failure with MOCK_REQUIRE_DOCKER=1);
// without pytest and requests it fails in CI (CI=true) and skips otherwise.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PYTHON = '/usr/bin/python3'
const SUITE = 'examples/python'
const PYTEST = ['-m', 'pytest', SUITE, '-q']
const CLI = join(ROOT, 'dist', 'cli.js')
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`
const TAG = `python-hq-mock-test:${RUN_ID}`
const LABEL = `python-hq-mock-test=${RUN_ID}`
const CONTAINER_PREFIX = `python-hq-mock-test-${RUN_ID}`
const ADMIN_TOKEN = 'python-suite-admin-token'
const NODE_MAJOR = process.env.MOCK_DOCKER_NODE_VERSION !== undefined && process.env.MOCK_DOCKER_NODE_VERSION !== ''
  ? process.env.MOCK_DOCKER_NODE_VERSION
  : process.versions.node.split('.')[0]

interface Run { code: number | null, stdout: string, stderr: string, ms: number }

function run (command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<Run> {
  return new Promise(resolve => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', err => { stderr += String(err) })
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

/** The environment of one pytest run: this process's, without any setting of the fixture, plus `extra`. */
function pytestEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }
  for (const name of Object.keys(env)) {
    if (name.startsWith('COMMCARE_HQ_MOCK_') || name === 'MOCK_ADMIN_TOKEN') delete env[name]
  }
  return { ...env, ...extra }
}

/** Test functions in the suite's files: what "N passed" must count. */
async function suiteTests (): Promise<number> {
  const dir = join(ROOT, SUITE)
  let n = 0
  for (const file of (await readdir(dir)).filter(f => /^test_.*\.py$/.test(f))) {
    n += ((await readFile(join(dir, file), 'utf8')).match(/^def test_/gm) ?? []).length
  }
  return n
}

/** Runs the suite; checks it is green with the expected counts and names where the mock came from. */
async function greenRun (t: Test, what: string, env: Record<string, string>, counts: string, source: RegExp): Promise<Run> {
  const r = await run(PYTHON, PYTEST, pytestEnv(env))
  const out = r.stdout + r.stderr
  t.equal(r.code, 0, `pytest exits 0 against ${what}`, { output: out.slice(-6000) })
  t.match(out, new RegExp(`^${counts} in [0-9.]+s`, 'm'), `pytest reports ${counts}`)
  t.match(out, source, 'the fixture names the mock it used')
  const summary = /^(\d+ (passed|failed|error).*) in [0-9.]+s/m.exec(out)?.[1] ?? 'no summary'
  t.comment(`python3 -m pytest ${SUITE} -q against ${what}: ${seconds(r.ms)} (${summary})`)
  return r
}

const pythonDeps = await run(PYTHON, ['-c', 'import pytest, requests; print(pytest.__version__, requests.__version__)'], process.env, 30_000)
if (pythonDeps.code !== 0) {
  const why = `${PYTHON} cannot import pytest and requests (apt-get install python3-pytest python3-requests)`
  if (process.env.CI === 'true') {
    t.fail(`${why}; in CI (CI=true) the Python example suite must run`)
  } else {
    t.comment(`SKIP Python example suite: ${why}`)
    t.test('Python example suite', { skip: why }, async () => {})
  }
} else {
  const engine = await docker(['info', '--format', '{{.ServerVersion}}'], 20_000)
  const hasDocker = engine.code === 0
  const tests = await suiteTests()
  t.comment(`pytest and requests ${pythonDeps.stdout.trim()}; ${tests} tests in ${SUITE}`)

  t.test('the suite runs green against the CLI', async t => {
    t.ok(existsSync(CLI), 'dist/cli.js exists (npm run build)')
    await greenRun(t, 'the CLI', { COMMCARE_HQ_MOCK_MODE: 'cli', COMMCARE_HQ_MOCK_COMMAND: `${process.execPath} ${CLI}`, MOCK_ADMIN_TOKEN: ADMIN_TOKEN },
      `${tests} passed`, /^commcare-hq-mock: command .*dist\/cli\.js at http:\/\/127\.0\.0\.1:\d+, started and ready in/m)
  })

  t.test('a mock that cannot start fails the session with its output', async t => {
    const r = await run(PYTHON, [...PYTEST, '-x'], pytestEnv({ COMMCARE_HQ_MOCK_MODE: 'cli', COMMCARE_HQ_MOCK_COMMAND: `${process.execPath} -e process.exit(3)` }))
    t.equal(r.code, 1, 'pytest exits 1')
    t.match(r.stdout, /RuntimeError: '.* -e process\.exit\(3\)' exited \(3\) before it was ready/, 'the error names the command and its exit code')
  })

  if (!hasDocker) {
    const why = (engine.stderr.trim().split('\n')[0] ?? '') || `exit ${engine.code}`
    if (process.env.MOCK_REQUIRE_DOCKER === '1') {
      t.fail(`no Docker engine reachable (${why}) and MOCK_REQUIRE_DOCKER=1: the suite did not run against the image`)
    } else {
      t.comment(`SKIP Python example suite against the image: no Docker engine reachable (${why}); it ran against the CLI only. Set MOCK_REQUIRE_DOCKER=1 to make this a failure`)
      t.test('the suite against the image', { skip: `no Docker engine reachable (${why})` }, async () => {})
    }
  } else {
    t.setTimeout(600_000)
    t.teardown(async () => {
      const ids = (await docker(['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(s => s !== '')
      const named = (await docker(['ps', '-aq', '--filter', `name=${CONTAINER_PREFIX}`])).stdout.split('\n').filter(s => s !== '')
      if (ids.length + named.length > 0) await docker(['rm', '-f', '-v', ...new Set([...ids, ...named])])
      await docker(['rmi', '-f', '--no-prune', TAG])
    })

    let built = false
    t.test('the image builds', async t => {
      const before = performance.now()
      await dockerOk(['build', '--network', 'host', '--build-arg', `NODE_VERSION=${NODE_MAJOR}`, '--label', LABEL, '-t', TAG, ROOT], 540_000)
      built = true
      t.pass('docker build')
      t.comment(`docker build (node ${NODE_MAJOR}, layer cache as found): ${seconds(performance.now() - before)}`)
    })

    t.test('the fixture runs the image and removes the container at the end', async t => {
      if (!built) throw new Error('cannot run: the image did not build')
      await greenRun(t, 'the image (docker run by the fixture)', { COMMCARE_HQ_MOCK_IMAGE: TAG, COMMCARE_HQ_MOCK_CONTAINER: CONTAINER_PREFIX },
        `${tests - 1} passed, 1 skipped`, new RegExp(`^commcare-hq-mock: docker image ${TAG.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at http://127\\.0\\.0\\.1:\\d+`, 'm'))
      t.equal(await dockerOk(['ps', '-aq', '--filter', `name=${CONTAINER_PREFIX}`]), '', 'no container is left behind')
    })

    t.test('the suite runs against a service container through COMMCARE_HQ_MOCK_URL, with an admin token', async t => {
      if (!built) throw new Error('cannot run: the image did not build')
      const port = await freePort()
      // As a CI service: started apart from the tests, reported healthy by the image's HEALTHCHECK.
      const id = await dockerOk(['run', '-d', '--network', 'host', '--label', LABEL, '--name', `${CONTAINER_PREFIX}-service`,
        '--health-interval', '300ms', '-e', `PORT=${port}`, '-e', `MOCK_ADMIN_TOKEN=${ADMIN_TOKEN}`, TAG])
      const deadline = Date.now() + 60_000
      while ((await dockerOk(['inspect', '-f', '{{.State.Health.Status}}', id])) !== 'healthy') {
        if (Date.now() > deadline) throw new Error('the service container did not become healthy in 60 s')
        await sleep(150)
      }
      t.pass('the service container is healthy with MOCK_ADMIN_TOKEN set')
      const url = `http://127.0.0.1:${port}`
      await greenRun(t, 'a running server (COMMCARE_HQ_MOCK_URL)', { COMMCARE_HQ_MOCK_URL: url, MOCK_ADMIN_TOKEN: ADMIN_TOKEN },
        `${tests} passed`, new RegExp(`^commcare-hq-mock: server at ${url}$`, 'm'))
      const headers = { 'x-mock-admin-token': ADMIN_TOKEN }
      const domains = await (await fetch(`${url}/__mock/domains`, { headers })).json() as { domains: Array<{ name: string }> }
      t.same(domains.domains.map(d => d.name).sort(), ['demo', 'other'], 'every domain a test made was deleted after it')
      t.same(await (await fetch(`${url}/__mock/faults`, { headers })).json(), { faults: [] }, 'no fault rule is left behind')
      const demo = await (await fetch(`${url}/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/`, { headers: { authorization: 'ApiKey admin@example.org:demo-api-key' } })).json() as { first_name: string }
      t.equal(demo.first_name, 'Jane', 'the seed\'s demo domain was never touched')
      await dockerOk(['rm', '-f', id])
    })
  }
}
