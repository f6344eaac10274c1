import t from 'tap'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { seedProblems } from '../../src/store/validate.js'
import { seedMismatchLine } from '../../src/server.js'
import type { Store } from '../../src/store/store.js'
import { build } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'
import { runCli } from '../cli/cli-run.js'

// The examples of docs/SEED.md, run as the page shows them: the one-line
// domain, the $schema seed, check-seed's output, the --fresh line and each
// seed under examples/seeds/ with its curl lines against the real server.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PAGE = await readFile(join(ROOT, 'docs/SEED.md'), 'utf8')

/** The page's text from a heading to the next heading of the same level. */
function section (heading: string): string {
  const start = PAGE.indexOf(`\n${heading}\n`)
  if (start < 0) throw new Error(`docs/SEED.md has no '${heading}'`)
  const end = PAGE.indexOf('\n## ', start + heading.length + 2)
  return PAGE.slice(start, end < 0 ? undefined : end)
}

/** The fenced blocks of one language in a piece of the page, in order (indented ones too). */
function blocks (text: string, lang: string): string[] {
  const out: string[] = []
  const re = new RegExp(`^( *)\`\`\`${lang}\\n([\\s\\S]*?)\\n\\1\`\`\``, 'gm')
  for (const m of text.matchAll(re)) out.push(m[2].split('\n').map(l => l.slice(m[1].length)).join('\n'))
  return out
}

interface Curl { method: string, url: string, headers: Record<string, string>, body?: string }

/** The curl lines of a shell block (continuations joined; single-quoted words). */
function curls (sh: string): Curl[] {
  return sh.replace(/\\\n\s*/g, ' ').split('\n').filter(l => l.startsWith('curl ')).map(line => {
    const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map(m => m[1] ?? m[2]).slice(1)
    const c: Curl = { method: 'GET', url: '', headers: {} }
    for (let i = 0; i < words.length; i++) {
      const w = words[i]
      if (w === '-X') c.method = words[++i]
      else if (w === '-H') {
        const [name, ...value] = words[++i].split(':')
        c.headers[name.toLowerCase()] = value.join(':').trim()
      } else if (w === '-d') {
        c.body = words[++i]
        if (c.method === 'GET') c.method = 'POST'
      } else c.url = w
    }
    return c
  })
}

t.test('Defaults: the one-line domain answers the worker the page shows', async t => {
  const text = section('## Defaults')
  const [sh] = blocks(text, 'sh')
  const [post, get] = curls(sh)
  t.equal(post.method, 'POST')
  const app = await build(t)
  const created = await app.inject({ method: 'POST', url: new URL(post.url).pathname, headers: post.headers, payload: post.body })
  t.equal(created.statusCode, 201)
  const list = await app.inject({ url: new URL(get.url).pathname, headers: get.headers })
  t.equal(list.statusCode, 200)
  t.strictSame(list.json().objects, [JSON.parse(blocks(text, 'json')[0])])
})

t.test('The schema, for editors: the seed shown is valid', async t => {
  const [seed] = blocks(section('## The schema, for editors'), 'json')
  t.strictSame(seedProblems(JSON.parse(seed)), [])
})

t.test('check-seed: the commands print what the page shows', async t => {
  const text = section('## check-seed')
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-seed-docs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'broken.json'), blocks(text, 'json')[0])
  let ran = 0
  for (const block of blocks(text, 'console')) {
    for (const part of block.split(/^\$ /m).filter(p => p !== '')) {
      const [command, ...expected] = part.replace(/\n$/, '').split('\n')
      const args = command.split(' ')
      t.equal(args[0], 'commcare-hq-mock')
      const cwd = args[2] === 'broken.json' ? dir : ROOT
      const run = await runCli(args.slice(1), { cwd })
      t.equal(run.stdout + run.stderr, expected.join('\n') + '\n', command)
      t.equal(run.code, args[2] === 'broken.json' ? 1 : 0)
      ran++
    }
  }
  t.equal(ran, 3)
})

t.test('--fresh: the warning is the line the server prints', async t => {
  const [line] = blocks(section('## A data directory and its seed: --fresh'), 'console')
  const store = { describeData: () => '/srv/mock/data', seedPath: '/srv/mock/seed.json' } as unknown as Store
  t.equal(line, seedMismatchLine(store))
})

t.test('Examples: each seed under examples/seeds/ is described, starts the server and answers its curl lines', async t => {
  const text = section('## Examples')
  const files = (await readdir(join(ROOT, 'examples/seeds'))).sort()
  t.strictSame(files, ['minimal.json', 'roles-locations.json', 'two-stage.json'])
  const items = text.split(/^- \*\*`/m).slice(1)
  t.strictSame(items.map(i => i.slice(0, i.indexOf('`'))), files.map(f => `examples/seeds/${f}`), 'each one described, in order')
  for (const item of items) {
    const [sh] = blocks(item, 'sh')
    const start = sh.split('\n')[0].split(' ')
    t.strictSame(start.slice(0, 2), ['npx', 'commcare-hq-mock'])
    const server = await startProcess(start.slice(2).map(a => a.startsWith('examples/') ? join(ROOT, a) : a))
    t.teardown(() => { server.child.kill('SIGKILL') })
    const answers: Array<{ status: number, body: string }> = []
    for (const c of curls(sh)) {
      const res = await fetch(c.url.replace('http://127.0.0.1:8000', server.url), { method: c.method, headers: c.headers, body: c.body })
      answers.push({ status: res.status, body: await res.text() })
      t.equal(res.status, 200, `${c.method} ${c.url}`)
    }
    const name = item.slice(0, item.indexOf('`'))
    if (name.endsWith('minimal.json')) {
      t.match(JSON.parse(answers[0].body).objects, [{ username: 'asha@tiny.commcarehq.org', role: 'Mobile Worker Default' }])
    } else if (name.endsWith('roles-locations.json')) {
      const users = JSON.parse(answers[0].body).objects
      t.match(users, [
        { username: 'otieno@district.commcarehq.org', role: 'Manager' },
        { username: 'wanjiru@district.commcarehq.org', role: 'Field Worker', primary_location: '3a1d0b8f6c2e5d4b9f7a8e0c1b2d3f4a', groups: ['4b2e1c9a7d3f6e5c0a8b9f1d2c3e4a5b'] }
      ])
      t.equal(JSON.parse(answers[1].body).objects.length, 2, 'two locations')
      const reader = await fetch(`${server.url}/a/district/api/v0.5/user/`, { headers: { authorization: 'ApiKey reader@example.org:reader-key' } })
      t.equal(reader.status, 403, 'the Reader role cannot use the user API')
      t.equal(reader.headers.get('x-mock-reason'), "'reader@example.org' lacks edit_commcare_users in domain 'district'")
    } else {
      t.match(JSON.parse(answers[0].body).objects, [{ username: 'confirmed@signup.commcarehq.org' }], 'the unconfirmed account is inactive: not listed')
      t.equal(JSON.parse(answers[0].body).objects.length, 1)
      t.match(JSON.parse(answers[2].body).emails, [{ type: 'account_confirmation', to: 'pending@example.org', user_id: 'b4e11e5c9e4e5f9b1bffa9522e25f87f' }])
    }
    server.child.kill('SIGTERM')
    await server.exited
  }
})
