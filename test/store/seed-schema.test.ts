import t from 'tap'
import { readFile, readdir } from 'node:fs/promises'
import { Ajv } from 'ajv'
import { seedSchemaFiles } from '../../src/store/seed-schema-files.js'
import { seedDomainProblems, seedProblems } from '../../src/store/validate.js'

// seed/seed.schema.json and seed/domain.schema.json are the TypeBox schemas the
// server validates with, as JSON Schema: regenerated here and compared byte for
// byte (`npm run seed-schemas` writes them), and a JSON Schema validator takes
// and refuses what the server takes and refuses.

const SEED_DIR = new URL('../../seed/', import.meta.url)
const EXAMPLES = new URL('../../examples/seeds/', import.meta.url)

async function json (url: URL): Promise<unknown> {
  return JSON.parse(await readFile(url, 'utf8'))
}

t.test('the committed schema files are what src/store/schema.ts gives, byte for byte', async t => {
  const files = seedSchemaFiles()
  t.strictSame(Object.keys(files).sort(), ['domain.schema.json', 'seed.schema.json'])
  for (const [name, text] of Object.entries(files)) {
    t.equal(await readFile(new URL(name, SEED_DIR), 'utf8'), text, `seed/${name} is up to date (npm run seed-schemas)`)
  }
})

t.test('the bundled seed names its schema, and the server accepts the key', async t => {
  const seed = await json(new URL('default.json', SEED_DIR)) as { $schema: string }
  t.equal(seed.$schema, './seed.schema.json')
  t.ok(await readFile(new URL(seed.$schema, SEED_DIR)), 'the reference resolves beside the file')
  t.strictSame(seedProblems(seed), [])
  t.strictSame(seedDomainProblems({ $schema: '../seed/domain.schema.json', users: [{ username: 'a' }] }), [])
  t.strictSame(seedProblems({ $schema: 5 }), ['/$schema: Expected string'])
})

t.test('a JSON Schema validator agrees with the server', async t => {
  const ajv = new Ajv({ strict: false, allErrors: true })
  const seedSchema = ajv.compile(await json(new URL('seed.schema.json', SEED_DIR)) as object)
  const domainSchema = ajv.compile(await json(new URL('domain.schema.json', SEED_DIR)) as object)
  const good = [
    await json(new URL('default.json', SEED_DIR)),
    await json(new URL('../test/fixtures/seed-0.1.json', SEED_DIR)),
    ...await Promise.all((await readdir(EXAMPLES)).map(f => json(new URL(f, EXAMPLES)))),
    {}
  ]
  for (const seed of good) {
    t.strictSame(seedProblems(seed), [])
    t.ok(seedSchema(seed), JSON.stringify(seedSchema.errors))
  }
  const bad: unknown[] = [
    { web_users: [{ username: 'a' }] },
    { web_users: [{ username: 'a', password: 'p', api_keys: [{ domain: null }] }] },
    { domains: { Demo: {} } },
    { domains: { demo: { users: [{}] } } },
    { domains: { demo: { users: [{ username: 'a', colour: 'blue' }] } } },
    { domains: { demo: { rate_limit_per_minute: 0 } } },
    { domains: { demo: { groups: [{ name: 'no id' }] } } },
    { seeds: [] }
  ]
  for (const seed of bad) {
    t.not(seedProblems(seed).length, 0, JSON.stringify(seed))
    t.notOk(seedSchema(seed), `the schema refuses ${JSON.stringify(seed)} too`)
  }
  t.ok(domainSchema({ users: [{ username: 'a' }] }))
  t.notOk(domainSchema({ users: [{ username: 'a' }], web_users: [] }), 'a domain document has no web users')
  t.not(seedDomainProblems({ users: [{ username: 'a' }], web_users: [] }).length, 0)
})
