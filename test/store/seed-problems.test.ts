import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_PROBLEMS, problemCount, seedDomainProblems, seedProblems } from '../../src/store/validate.js'
import { build } from '../helpers/app.js'
import { runToExit } from '../helpers/process.js'

// Every problem of a seed is listed, each with where (a JSON path) and what:
// by the validator, at start, and in the 400 of POST /__mock/domains.

/** Eight problems: four of shape, four of references (in the domain whose shape is right). */
const EIGHT = {
  web_users: [
    { username: 'a@example.org', password: 'p', api_keys: [{ key: 'k' }] },
    { username: 'b@example.org' }
  ],
  domains: {
    Bad_Name: {},
    one: {
      members: [{ username: 'a@example.org', role: 'Chief' }],
      users: [{ username: 'a', groups: ['g1'] }, { username: 'a' }]
    },
    two: { toggles: 'none', users: [{ username: 5 }] }
  }
}
/** The id derived for `a` of domain `one`. */
const ONE_A = 'c33aa2f798f86bc7a4bf3ea3df86c04e'

const EIGHT_PROBLEMS = [
  '/web_users/1/password: Expected required property',
  '/domains/two/toggles: Expected array',
  '/domains/two/users/0/username: Expected string',
  '/domains/Bad_Name: not a valid domain name (^[a-z0-9][a-z0-9-]{0,62}$)',
  "domains/one/members: 'a@example.org' has unknown role 'Chief'",
  `domains/one/users: '${ONE_A}' is in unknown group 'g1'`,
  `domains/one/users: id '${ONE_A}' appears twice`,
  "domains/one/users: username 'a@one.commcarehq.org' appears twice"
]

/** A domain document with eight problems of shape. */
const EIGHT_IN_A_DOMAIN = {
  project_name: 7,
  toggles: 'none',
  rate_limit_per_minute: 0,
  members: [{ username: 'a@example.org', role: 5 }],
  groups: [{ name: 'no id' }],
  users: [{ username: '' }, { id: 'x' }],
  colour: 'blue'
}
const EIGHT_IN_A_DOMAIN_PROBLEMS = [
  'seed/colour: Unexpected property',
  'seed/project_name: Expected string',
  'seed/toggles: Expected array',
  'seed/rate_limit_per_minute: Expected union value',
  'seed/members/0/role: Expected union value',
  'seed/groups/0/id: Expected required property',
  'seed/users/0/username: Expected string length greater or equal to 1',
  'seed/users/1/username: Expected required property'
]

async function tempDir (t: Tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-problems-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('the validator lists all eight problems of a seed', async t => {
  t.strictSame(seedProblems(EIGHT), EIGHT_PROBLEMS)
})

t.test('the start-up error lists all eight, one a line', async t => {
  const dir = await tempDir(t)
  const seed = join(dir, 'eight.json')
  await writeFile(seed, JSON.stringify(EIGHT))
  const res = await runToExit(['--in-memory', '--seed', seed])
  t.equal(res.code, 1)
  t.equal(res.output, `commcare-hq-mock: cannot start: ${seed}: 8 problems:\n${EIGHT_PROBLEMS.map(p => `  - ${p}\n`).join('')}`)
})

t.test('POST /__mock/domains answers 400 with all eight problems of a domain document', async t => {
  t.strictSame(seedDomainProblems(EIGHT_IN_A_DOMAIN, 'seed', 'tiny'), EIGHT_IN_A_DOMAIN_PROBLEMS)
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'tiny', seed: EIGHT_IN_A_DOMAIN } })
  t.equal(res.statusCode, 400)
  t.strictSame(res.json(), { error: `invalid seed: ${EIGHT_IN_A_DOMAIN_PROBLEMS.join('; ')}`, details: EIGHT_IN_A_DOMAIN_PROBLEMS })
  t.match(res.headers['x-mock-reason'], /^invalid seed: seed\/colour: Unexpected property; seed\/project_name: Expected string; /)

  const refs = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'tiny', seed: EIGHT.domains.one } })
  t.equal(refs.statusCode, 400)
  t.strictSame(refs.json().details, EIGHT_PROBLEMS.slice(4).map(p => p.replace('domains/one/', 'seed/').replace("'a@one.", "'a@tiny.")).map(p => p.replace(ONE_A, '3ce0d3be55bd19251ce21dae2881c698')),
    'the references too, under the new domain\'s name')
  t.equal((await app.inject({ url: '/__mock/domains/tiny' })).statusCode, 404, 'nothing was created')
})

t.test(`more than ${MAX_PROBLEMS} problems: the first ${MAX_PROBLEMS} and a count of the rest`, async t => {
  const users = Array.from({ length: MAX_PROBLEMS + 50 }, (_, i) => ({ username: `u${i}`, groups: ['nope'] }))
  const problems = seedProblems({ domains: { big: { users } } })
  t.equal(problems.length, MAX_PROBLEMS + 1)
  t.match(problems[0], /^domains\/big\/users: '[0-9a-f]{32}' is in unknown group 'nope'$/)
  t.equal(problems.at(-1), '… and 50 more')
  t.equal(problemCount(problems), MAX_PROBLEMS + 50)

  const dir = await tempDir(t)
  const seed = join(dir, 'many.json')
  await writeFile(seed, JSON.stringify({ domains: { big: { users } } }))
  const res = await runToExit(['--in-memory', '--seed', seed])
  t.equal(res.code, 1)
  const lines = res.output.trimEnd().split('\n')
  t.equal(lines[0], `commcare-hq-mock: cannot start: ${seed}: ${MAX_PROBLEMS + 50} problems:`)
  t.equal(lines.length, 1 + MAX_PROBLEMS + 1)
  t.equal(lines.at(-1), '  - … and 50 more')
})
