import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

// What can be checked offline of the CI recipes (they run on GitHub and
// GitLab, not here): the workflows parse; image name, port and health check
// agree with each other, with docs/CI.md and with the Dockerfile; the pytest
// commands name files that exist; the environment variables are those the
// fixture reads; and the code blocks of docs/PYTHON.md and docs/CI.md are the
// files they name, verbatim. The suite itself runs in test/docker/python.test.ts.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const EXAMPLE = 'examples/github-actions/hq-mock.yml'
const PUBLISH = '.github/workflows/publish-image.yml'
const CONFTEST = 'examples/python/conftest.py'
/** How the docs write the image's owner: a placeholder, or the publish workflow's own variable. */
// eslint-disable-next-line no-template-curly-in-string
const OWNERS = ['OWNER', '<owner>', '${GITHUB_REPOSITORY_OWNER,,}']

const read = (path: string): Promise<string> => readFile(join(ROOT, path), 'utf8')

interface Step { uses?: string, run?: string, env?: Record<string, string>, with?: Record<string, unknown> }
interface Service { image: string, env?: Record<string, string>, ports?: string[], options?: string }
interface Job { 'runs-on': string, services?: Record<string, Service>, env?: Record<string, string>, steps: Step[] }
interface Workflow { name: string, on: Record<string, any>, permissions?: Record<string, string>, jobs: Record<string, Job> }

/** The fenced blocks of a Markdown page, each with the HTML comment on the line before it (or null). */
function blocks (text: string): Array<{ lang: string, body: string, marker: string | null, line: number }> {
  const lines = text.split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)$/.exec(lines[i])
    if (open === null) continue
    const start = i
    const body: string[] = []
    while (++i < lines.length && lines[i] !== '```') body.push(lines[i])
    const before = /^<!-- (.+) -->$/.exec(lines[start - 1] ?? '')
    out.push({ lang: open[1], body: body.join('\n') + '\n', marker: before === null ? null : before[1], line: start + 1 })
  }
  return out
}

/** `ghcr.io/<owner>/<name>` references in a text: [owner, name, tag|undefined]. */
function ghcrImages (text: string): Array<[string, string, string | undefined]> {
  return [...text.matchAll(/ghcr\.io\/([^/\s`'"]+)\/([a-z0-9._-]+)(?::([A-Za-z0-9._-]+))?/g)].map(m => [m[1], m[2], m[3]])
}

/** The `pytest` commands of a job's steps, and the paths they name. */
function pytestPaths (job: Job): string[] {
  const commands = job.steps.flatMap(s => (s.run ?? '').split('\n')).filter(l => /\bpytest\b/.test(l) && !/pip install/.test(l))
  return commands.flatMap(c => c.trim().split(/\s+/).slice(c.trim().split(/\s+/).indexOf('pytest') + 1).filter(a => !a.startsWith('-')))
}

/** The environment variables conftest.py reads with env("…"). */
async function fixtureVariables (): Promise<Set<string>> {
  return new Set([...(await read(CONFTEST)).matchAll(/env\(["']([A-Z_]+)["']/g)].map(m => m[1]))
}

const dockerfile = await read('Dockerfile')
const example = parse(await read(EXAMPLE)) as Workflow
const publish = parse(await read(PUBLISH)) as Workflow
const ciDoc = await read('docs/CI.md')
const pythonDoc = await read('docs/PYTHON.md')
const job = Object.values(example.jobs)[0]
const [serviceName, service] = Object.entries(job.services ?? {})[0] ?? []
const publishJob = Object.values(publish.jobs)[0]
const gitlab = blocks(ciDoc).filter(b => b.marker === 'gitlab-ci')

t.test('the example workflow runs the suite against the image as a service', async t => {
  t.equal(Object.keys(example.jobs).length, 1, 'one job')
  t.equal(serviceName, 'hq-mock', 'a service hq-mock')
  t.match(service?.image, /^ghcr\.io\/OWNER\/commcare-hq-mock:/, 'the published image, OWNER to fill in')
  t.equal(job.env?.COMMCARE_HQ_MOCK_URL, 'http://127.0.0.1:8000', 'the steps find the service through COMMCARE_HQ_MOCK_URL')
  t.equal(job.env?.MOCK_ADMIN_TOKEN, service?.env?.MOCK_ADMIN_TOKEN, 'the steps send the token the service was given')
  t.ok(job.steps.some(s => s.uses?.startsWith('actions/checkout@') === true), 'checks the repository out')
})

t.test('the service port and health check are the Dockerfile\'s', async t => {
  const exposed = /^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]
  const envPort = /^ENV .*\bPORT=(\d+)\b/m.exec(dockerfile)?.[1]
  t.equal(exposed, '8000', 'the Dockerfile exposes 8000')
  t.equal(envPort, exposed, 'and listens there (ENV PORT)')
  t.same(service?.ports, [`${exposed}:${exposed}`], 'the service publishes that port')
  t.equal(new URL(job.env?.COMMCARE_HQ_MOCK_URL ?? 'http://x').port, exposed, 'COMMCARE_HQ_MOCK_URL names it')
  t.notOk(service?.env !== undefined && 'PORT' in service.env, 'the service does not move the port')

  const health = /^HEALTHCHECK (.*?)\s*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)
  t.ok(health, 'the Dockerfile has a HEALTHCHECK')
  const command = JSON.parse(health?.[2] ?? '[]') as string[]
  t.match(command.join(' '), /fetch\(`http:\/\/127\.0\.0\.1:\$\{process\.env\.PORT \|\| 8000\}\/__mock\/health`\)/, 'it fetches /__mock/health on PORT')
  t.match(await read(CONFTEST), /\/__mock\/health/, 'the fixture waits on the same endpoint')
  const options = (service?.options ?? '').trim().split(/\s+/)
  const flags = options.filter(o => o.startsWith('--'))
  t.same(flags.filter(f => !['--health-interval', '--health-timeout', '--health-retries', '--health-start-period'].includes(f)), [],
    'options only tune the image\'s own check (no --health-cmd, no --no-healthcheck)')
  const timeout = options[options.indexOf('--health-timeout') + 1]
  t.equal(`--timeout=${timeout}`, /--timeout=\S+/.exec(health?.[1] ?? '')?.[0], 'the same probe timeout as the Dockerfile')
})

t.test('the publish workflow builds, checks and pushes the image on a version tag', async t => {
  t.same(publish.on, { push: { tags: ['v*.*.*'] } }, 'runs on version tags only')
  t.same(publish.permissions, { contents: 'read', packages: 'write' }, 'may write packages')
  const uses = publishJob.steps.map(s => s.uses ?? '')
  const login = publishJob.steps.find(s => s.uses?.startsWith('docker/login-action@') === true)
  t.equal(login?.with?.registry, 'ghcr.io', 'logs in to ghcr.io')
  // eslint-disable-next-line no-template-curly-in-string
  t.equal(login?.with?.password, '${{ secrets.GITHUB_TOKEN }}', 'with the workflow\'s own token')
  const builds = publishJob.steps.filter(s => s.uses?.startsWith('docker/build-push-action@') === true)
  t.same(builds.map(b => b.with?.push === true), [false, true], 'builds first, pushes last')
  const push = uses.findIndex(u => u.startsWith('docker/build-push-action@') && builds[1] !== undefined)
  t.ok(push >= 0)
  const checks = publishJob.steps.findIndex(s => /pytest/.test(s.run ?? ''))
  t.ok(checks > 0 && checks < publishJob.steps.indexOf(builds[1]), 'the Python suite runs before the push')
  t.equal(publishJob.steps[checks].env?.COMMCARE_HQ_MOCK_URL, 'http://127.0.0.1:8000', 'against the container it started')
  const tagCheck = publishJob.steps.find(s => /package\.json/.test(s.run ?? ''))
  t.match(tagCheck?.run, /"\$GITHUB_REF_NAME" != "v\$version"/, 'refuses a tag that is not the package version')
})

t.test('the image name and tag agree between the workflows and the docs', async t => {
  const imageEnv = publishJob.steps.map(s => /IMAGE=([^"\s]+)"? >> "\$GITHUB_ENV"/.exec(s.run ?? '')?.[1]).find(x => x !== undefined)
  // eslint-disable-next-line no-template-curly-in-string
  t.equal(imageEnv, 'ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/commcare-hq-mock', 'the publish workflow pushes ghcr.io/<owner, lower case>/commcare-hq-mock')
  const meta = publishJob.steps.find(s => s.uses?.startsWith('docker/metadata-action@') === true)
  // eslint-disable-next-line no-template-curly-in-string
  t.equal(meta?.with?.images, '${{ env.IMAGE }}', 'tags are made for that image')
  const patterns = String(meta?.with?.tags ?? '').trim().split('\n').map(l => l.trim())
  t.same(patterns, ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}'], 'tags <version> and <major>.<minor>')

  const name = 'commcare-hq-mock'
  const [, exampleName, exampleTag] = ghcrImages(service?.image ?? '')[0] ?? []
  t.equal(exampleName, name, 'the example pulls the image the workflow publishes')
  t.match(exampleTag, /^\d+\.\d+(\.\d+)?$/, 'with a tag the workflow makes')
  const gitlabDoc = parse(gitlab[0]?.body ?? '') as Record<string, { services: Array<{ name: string }> }>
  const gitlabImage = Object.values(gitlabDoc)[0]?.services[0]?.name
  t.equal(gitlabImage, service?.image, 'the GitLab variant pulls the same image')
  for (const [page, text] of [['docs/CI.md', ciDoc], ['docs/PYTHON.md', pythonDoc]]) {
    const found = ghcrImages(text)
    t.ok(found.length > 0, `${page} names the image`)
    t.same([...new Set(found.map(f => f[1]))], [name], `${page} names only ${name} on ghcr.io`)
    t.same([...new Set(found.map(f => f[0]))].filter(o => !OWNERS.includes(o)), [], `${page}: the owner is OWNER, <owner> or the publishing account`)
    for (const [, , tag] of found) {
      if (tag !== undefined) t.match(tag, /^(\d+\.\d+(\.\d+)?|latest)$/, `${page}: tag ${tag} is one the workflow makes`)
    }
  }
})

t.test('the pytest commands name files that exist, and set what the fixture reads', async t => {
  const variables = await fixtureVariables()
  const gitlabJob = Object.values(parse(gitlab[0]?.body ?? '') as Record<string, { script: string[], variables: Record<string, string> }>)[0]
  const jobs: Array<[string, Job]> = [
    [EXAMPLE, job],
    [PUBLISH, publishJob],
    ['docs/CI.md (GitLab CI)', { 'runs-on': '', env: gitlabJob?.variables, steps: (gitlabJob?.script ?? []).map(run => ({ run })) }]
  ]
  for (const [where, j] of jobs) {
    const paths = pytestPaths(j)
    t.ok(paths.length > 0, `${where} runs pytest on named paths`)
    for (const p of paths) {
      t.ok(existsSync(join(ROOT, p)), `${where}: ${p} exists`)
      if (existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isDirectory()) {
        const files = await readdir(join(ROOT, p))
        t.ok(files.includes('conftest.py') && files.some(f => /^test_.*\.py$/.test(f)), `${where}: ${p} holds conftest.py and test files`)
      }
    }
    const set = Object.keys({ ...j.env, ...Object.assign({}, ...j.steps.map(s => s.env ?? {})) }).filter(n => /^(COMMCARE_HQ_MOCK_|MOCK_ADMIN_TOKEN$)/.test(n))
    t.ok(set.length > 0, `${where} points the fixture at the service`)
    for (const n of set) t.ok(variables.has(n), `${where}: ${n} is read by the fixture`)
  }
})

t.test('docs/PYTHON.md and docs/CI.md quote the files verbatim', async t => {
  for (const [page, text] of [['docs/PYTHON.md', pythonDoc], ['docs/CI.md', ciDoc]]) {
    let quoted = 0
    for (const b of blocks(text)) {
      if (b.lang === 'sh') continue
      if (b.marker === 'gitlab-ci') continue
      const file = /^file: (\S+)$/.exec(b.marker ?? '')?.[1]
      if (file === undefined) {
        t.fail(`${page}:${b.line}: a ${b.lang} block without <!-- file: … --> before it`)
        continue
      }
      const content = await read(file)
      if (file.endsWith('.yml')) t.equal(b.body, content, `${page}:${b.line} is the whole of ${file}`)
      else t.ok(content.includes(b.body), `${page}:${b.line} is a verbatim excerpt of ${file}`)
      quoted++
    }
    t.ok(quoted >= 2, `${page} quotes at least two files (${quoted})`)
  }
  t.equal(gitlab.length, 1, 'docs/CI.md has the GitLab CI variant')
})

t.test('docs/PYTHON.md lists every environment variable and method of the fixture', async t => {
  const conftest = await read(CONFTEST)
  const rows = (heading: RegExp): string[] => [...pythonDoc.matchAll(heading)].map(m => m[1])
  t.same(rows(/^\| `([A-Z_]+)` \|/gm).sort(), [...await fixtureVariables()].sort(), 'the variable table is the variables conftest.py reads')
  for (const cls of ['HqMock', 'HqDomain']) {
    const body = conftest.split(new RegExp(`^class ${cls}\\b.*$`, 'm'))[1]?.split(/^class |^def /m)[0] ?? ''
    const methods = [...body.matchAll(/^ {4}def ([a-z][a-z_]*)\(self(?:, )?([^)]*)\)/gm)].map(m => `${m[1]}(${m[2]})`)
    t.ok(methods.length > 5, `${cls} has its methods`)
    for (const m of methods) t.match(pythonDoc, `| \`${m}\` |`, `docs/PYTHON.md documents ${cls}.${m}`)
  }
})
