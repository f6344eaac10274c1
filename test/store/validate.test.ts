import t from 'tap'
import { readFileSync } from 'node:fs'
import { indexDomain } from '../../src/store/domain.js'
import { domainFromSeed } from '../../src/store/store.js'
import type { DomainDoc, Seed, SeedDomain } from '../../src/store/schema.js'
import { checkDomainDoc, domainReferenceErrors, seedDomainProblems, seedProblems } from '../../src/store/validate.js'

// The cross-reference checks a data file and a seed go through at start, on
// the bundled seed's `demo` domain with one thing broken at a time.

const SEED = JSON.parse(readFileSync(new URL('../../seed/default.json', import.meta.url), 'utf8')) as Seed
const JDOE = '3c5a623af057e23a32ae4000cf291339'
const AMINA = '984bb82bf7f88bb700b750c1331c324e'
const NORTH = '9a0accdba29e01a61ea099394737c4fb'
const SOUTH = 'b4ccdba29e01a61ea099394737c4fbf7'
const CLINIC = 'c1b029932ed442a6a846a4ea10e46a78'
const WARD = '983c26591440aca038f8e76591199f4d'

/** A stored document or a seed's domain: what the breakers below touch is common to both. */
type AnyDomain = DomainDoc | SeedDomain

function demo (): DomainDoc {
  return domainFromSeed('demo', structuredClone(SEED.domains.demo))
}

function user (doc: AnyDomain, id: string): AnyDomain['users'][number] {
  return (doc.users as Array<AnyDomain['users'][number]>).find(u => u.id === id)!
}

t.test('the bundled domain has no problems, and its check hands back its lookups', async t => {
  const doc = demo()
  t.same(domainReferenceErrors(doc), [])
  const checked = checkDomainDoc(doc, 'demo')
  t.same(checked.problems, [])
  t.same(checked.index, indexDomain(doc))
  t.same(seedDomainProblems(structuredClone(SEED.domains.demo)), [])
})

const broken: Array<[string, (d: AnyDomain) => void, string[]]> = [
  ['a repeated user id', d => { (d.users as unknown[]).push({ ...structuredClone(user(d, AMINA)), username: 'other@demo.commcarehq.org' }) }, [
    `users: id '${AMINA}' appears twice`
  ]],
  ['a username repeated in another case', d => { user(d, AMINA).username = 'JDoe@demo.commcarehq.org' }, [
    "users: username 'JDoe@demo.commcarehq.org' appears twice"
  ]],
  ['a repeated group id', d => { d.groups.push({ ...structuredClone(d.groups[1]), name: 'Another name' }) }, [
    `groups: id '${SOUTH}' appears twice`
  ]],
  ['a repeated group name', d => { d.groups[1].name = d.groups[0].name }, [
    "groups: name 'Field Team North' appears twice"
  ]],
  ['an unusable id', d => { d.groups[1].id = 'has space' }, [
    "groups: id 'has space' is not a usable id (letters, digits, '_', '.', '-')"
  ]],
  ['a user in an unknown group', d => { user(d, AMINA).groups.push('nope') }, [
    `users: '${AMINA}' is in unknown group 'nope'`
  ]],
  ['a user listing a group that does not list it', d => { user(d, AMINA).groups.push(SOUTH) }, [
    `users: '${AMINA}' lists group '${SOUTH}' but the group does not list the user`
  ]],
  ['a group listing a user that does not list it', d => { d.groups[1].users.push(JDOE) }, [
    `groups: '${SOUTH}' lists user '${JDOE}' but the user does not list the group`
  ]],
  ['a group listing an unknown user', d => { d.groups[0].users.push('ghost') }, [
    `groups: '${NORTH}' lists unknown user 'ghost'`
  ]],
  ['an unknown location and parent', d => { user(d, JDOE).locations.push('nowhere'); d.locations[1].parent = 'nowhere' }, [
    `locations: '${CLINIC}' has an unknown parent 'nowhere'`,
    `users: '${JDOE}' has unknown location 'nowhere'`
  ]],
  ['a primary location outside the locations', d => { user(d, JDOE).primary_location = WARD }, [
    `users: '${JDOE}' has a primary_location that is not in its locations`
  ]],
  ['locations without a primary one', d => { user(d, JDOE).primary_location = null }, [
    `users: '${JDOE}' has locations but no primary_location`
  ]],
  ['an unknown profile', d => { user(d, JDOE).profile_id = 9 }, [
    `users: '${JDOE}' has unknown profile 9`
  ]],
  ['a member with an unknown role', d => { d.members[1].role = 'Chief' }, [
    "members: 'viewer@example.org' has unknown role 'Chief'"
  ]],
  ['a repeated location type and an unknown parent type', d => {
    d.location_types!.push({ ...structuredClone(d.location_types![1]), id: 9 })
    d.location_types![0].parent = 'country'
  }, [
    "location_types: code 'ward' appears twice",
    "location_types: 'county' has an unknown parent type 'country'"
  ]],
  ['a location of a type the domain does not define', d => { d.locations[2].location_type = 'village' }, [
    `locations: '${WARD}' has location_type 'village', which location_types does not define`
  ]]
]

for (const [what, breakIt, expected] of broken) {
  t.test(what, async t => {
    const doc = demo()
    breakIt(doc)
    t.same(domainReferenceErrors(doc), expected)
    const checked = checkDomainDoc(doc, 'demo')
    t.same(checked.problems, expected, 'a data file is refused the same way')
    t.equal(checked.index, undefined, 'and hands back no lookups')
    const seed = structuredClone(SEED.domains.demo)
    breakIt(seed)
    t.same(seedDomainProblems(seed, 'seed', 'demo'), expected.map(p => `seed/${p}`), 'a seed is refused the same way')
  })
}

t.test('a file with a problem says so before its references', async t => {
  t.same(checkDomainDoc(demo(), 'other').problems, ["name: 'demo' does not match the file name 'other'"])
  t.match(checkDomainDoc({ ...demo(), users: 'none' }, 'demo').problems[0], /^\/users: /)
})

t.test('a domain without location_types (a 0.1 seed) may use any type code', async t => {
  const doc = demo()
  delete doc.location_types
  doc.locations[2].location_type = 'village'
  t.same(domainReferenceErrors(doc), [])
})

t.test('an API key expiry must be an ISO date', async t => {
  const seed = structuredClone(SEED)
  seed.web_users[0].api_keys[0].expiration_date = 'next tuesday'
  t.same(seedProblems(seed), ["web_users: an API key of 'admin@example.org' has an expiration_date that is not an ISO date ('next tuesday')"])
})
