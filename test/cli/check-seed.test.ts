import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli } from './cli-run.js'

// `commcare-hq-mock check-seed FILE`, run as the built command: validates
// without starting, exit 0 with a one-line summary, 1 with every problem.

const SEED = fileURLToPath(new URL('../../seed/default.json', import.meta.url))
const EXAMPLES = fileURLToPath(new URL('../../examples/seeds/', import.meta.url))

async function tempDir (t: Tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-check-seed-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('a valid seed: exit 0 and one line of summary', async t => {
  const run = await runCli(['check-seed', SEED])
  t.strictSame(run, { code: 0, stdout: `${SEED}: valid seed: 2 domains, 7 users, 5 web users\n`, stderr: '' })
  const minimal = await runCli(['check-seed', join(EXAMPLES, 'minimal.json')])
  t.strictSame(minimal, { code: 0, stdout: `${join(EXAMPLES, 'minimal.json')}: valid seed: 1 domain, 1 user, 1 web user\n`, stderr: '' })
})

t.test('a seed with eight problems: exit 1 and all eight, each with its place', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'eight.json')
  await writeFile(file, JSON.stringify({
    web_users: [{ username: 'a@example.org', password: 'p' }, { username: 'b@example.org' }],
    domains: {
      Bad_Name: {},
      one: { members: [{ username: 'a@example.org', role: 'Chief' }], users: [{ username: 'a', groups: ['g1'] }, { username: 'a' }] },
      two: { toggles: 'none', users: [{ username: 5 }] }
    }
  }))
  const run = await runCli(['check-seed', file])
  t.equal(run.code, 1)
  t.equal(run.stdout, '')
  t.equal(run.stderr, `${file}: 8 problems:
  - /web_users/1/password: Expected required property
  - /domains/two/toggles: Expected array
  - /domains/two/users/0/username: Expected string
  - /domains/Bad_Name: not a valid domain name (^[a-z0-9][a-z0-9-]{0,62}$)
  - domains/one/members: 'a@example.org' has unknown role 'Chief'
  - domains/one/users: 'c33aa2f798f86bc7a4bf3ea3df86c04e' is in unknown group 'g1'
  - domains/one/users: id 'c33aa2f798f86bc7a4bf3ea3df86c04e' appears twice
  - domains/one/users: username 'a@one.commcarehq.org' appears twice
`)
})

t.test('a /__mock/domains seed document: recognised, or named with --domain', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'tiny.json')
  await writeFile(file, JSON.stringify({ users: [{ username: 'a' }] }))
  const auto = await runCli(['check-seed', file])
  t.strictSame(auto, { code: 0, stdout: `${file}: valid domain seed document (as domain 'tiny'): 1 user, 0 groups, every web user an admin\n`, stderr: '' })

  const empty = join(dir, 'empty.json')
  await writeFile(empty, '{}')
  t.equal((await runCli(['check-seed', empty])).stdout, `${empty}: valid seed: 0 domains, 0 users, 0 web users\n`, '{} is an (empty) seed file')
  const asDomain = await runCli(['check-seed', '--domain', '--name', 'field', empty])
  t.strictSame(asDomain, { code: 0, stdout: `${empty}: valid domain seed document (as domain 'field'): 0 users, 0 groups, every web user an admin\n`, stderr: '' })

  const bad = join(dir, 'bad.json')
  await writeFile(bad, JSON.stringify({ members: [], users: [{ username: 'a', groups: ['g1'] }, { username: 'a' }] }))
  const refused = await runCli(['check-seed', '--name', 'tiny', bad])
  t.equal(refused.code, 1)
  t.equal(refused.stderr, `${bad}: 3 problems:
  - users: '3ce0d3be55bd19251ce21dae2881c698' is in unknown group 'g1'
  - users: id '3ce0d3be55bd19251ce21dae2881c698' appears twice
  - users: username 'a@tiny.commcarehq.org' appears twice
`)
})

t.test('a file that is missing or not JSON: exit 1; wrong usage: exit 2', async t => {
  const dir = await tempDir(t)
  const missing = await runCli(['check-seed', join(dir, 'nope.json')])
  t.strictSame(missing, { code: 1, stdout: '', stderr: `${join(dir, 'nope.json')}: 1 problem:\n  - cannot read the file (ENOENT)\n` })
  const text = join(dir, 'text.json')
  await writeFile(text, 'not json')
  const notJson = await runCli(['check-seed', text])
  t.equal(notJson.code, 1)
  t.match(notJson.stderr, `${text}: 1 problem:\n  - not valid JSON (`)
  const none = await runCli(['check-seed'])
  t.equal(none.code, 2)
  t.match(none.stderr, /^commcare-hq-mock check-seed: give exactly one file\n\ncommcare-hq-mock check-seed: validate a seed/)
  t.equal((await runCli(['check-seed', '--name', 'Bad', text])).code, 2)
})

t.test('check-seed --help, and the server\'s --help names the command and --fresh', async t => {
  const help = await runCli(['check-seed', '--help'])
  t.equal(help.code, 0)
  t.ok(help.stdout.startsWith('commcare-hq-mock check-seed: validate a seed without starting the server\n'))
  for (const flag of ['--domain', '--name']) t.ok(help.stdout.includes(flag), flag)
  const main = await runCli(['--help'])
  t.match(main.stdout, /commcare-hq-mock check-seed <file> +\(validate a seed without starting\)/)
  t.match(main.stdout, /--fresh +lay the seed down again.*\[MOCK_FRESH=1\]/s)
})
