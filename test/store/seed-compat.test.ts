import t from 'tap'
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Store, domainFromSeed } from '../../src/store/store.js'
import { checkDomainDoc, seedProblems } from '../../src/store/validate.js'
import type { Seed } from '../../src/store/schema.js'
import { build, ADMIN, BRIAN, JDOE, OTHER_ONLY, VIEWER } from '../helpers/app.js'

// A seed written for 0.1.0 (the bundled seed as it was) keeps loading and
// meaning the same: every key the 0.2 format added is optional, and what it
// leaves out has HQ's default.

const OLD_SEED = fileURLToPath(new URL('../fixtures/seed-0.1.json', import.meta.url))

t.test('the 0.1 seed passes validation as it is', async t => {
  const seed = JSON.parse(await readFile(OLD_SEED, 'utf8')) as Seed
  t.same(seedProblems(seed), [])
  for (const [name, d] of Object.entries(seed.domains)) {
    t.same(checkDomainDoc(domainFromSeed(name, d), name).problems, [], `${name} converts to a valid stored document`)
  }
})

t.test('served from the 0.1 seed, the API answers with the 0.2 defaults', async t => {
  const store = await Store.open({ seedPath: OLD_SEED, dataDir: null })
  const app = await build(t, { store })
  const get = async (id: string, auth = ADMIN) => app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${id}/`, headers: { authorization: auth } })

  const jdoe = await get(JDOE)
  t.equal(jdoe.statusCode, 200, 'direct permissions of a 0.1 membership still grant access')
  t.equal(jdoe.json().role, 'Mobile Worker')
  t.equal(jdoe.json().language, 'sw')

  const brian = await get(BRIAN)
  t.equal(brian.json().role, 'Mobile Worker Default', "no default role named: HQ's own default")
  t.equal(brian.json().language, '', "a 0.1 seed's empty language is kept as it was stored")

  t.equal((await get(JDOE, VIEWER)).statusCode, 403, 'a member without edit_commcare_users is still refused')
  t.equal((await get(JDOE, OTHER_ONLY)).statusCode, 401, 'a key scoped to another domain: 401 as HQ answers since 2025')
})

t.test('a data directory laid down from the 0.1 seed restarts on the 0.2 code', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-compat-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const first = await Store.open({ seedPath: OLD_SEED, dataDir: dir })
  await first.close()
  const again = await Store.open({ seedPath: OLD_SEED, dataDir: dir })
  t.teardown(() => again.close())
  t.same(again.domainNames(), ['demo', 'other'])
  t.equal(again.domain('demo')!.liveUser(JDOE)!.language, 'sw')
})

t.test('the small seed of docs/SEED.md loads and answers as the page says', async t => {
  const page = await readFile(fileURLToPath(new URL('../../docs/SEED.md', import.meta.url)), 'utf8')
  const json = /```json\n([\s\S]*?)\n```/.exec(page)![1]
  t.same(seedProblems(JSON.parse(json)), [])
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-seed-doc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const seedPath = join(dir, 'tiny.json')
  await writeFile(seedPath, json)
  const store = await Store.open({ seedPath, dataDir: null })
  const app = await build(t, { store })
  const list = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: 'ApiKey me@example.org:my-key' } })
  t.equal(list.statusCode, 200)
  const [asha] = list.json().objects
  t.equal(asha.username, 'asha@tiny.commcarehq.org')
  t.equal(asha.role, 'Field Worker')
  t.equal(asha.language, 'hi')
})
