import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { DOMAIN_NAME_PATTERN, type SeedDomainInput, type SeedInput } from '../store/schema.js'
import { completeDomain, completeSeed } from '../store/seed-defaults.js'
import { problemCount, seedDomainProblems, seedProblems } from '../store/validate.js'
import { EXIT } from './common.js'

export const CHECK_SEED_HELP = `commcare-hq-mock check-seed: validate a seed without starting the server

Usage: commcare-hq-mock check-seed [--domain [--name <d>]] <file>

Checks the file as the server does at start (or as POST /__mock/domains checks
its \`seed\` document) and prints every problem, each with where it is (a JSON
path) and what is wrong. Exit 0: valid, with a one-line summary; 1: problems
(or the file cannot be read or is not JSON); 2: wrong usage.

Options:
  --domain               the file is one domain's seed document (the \`seed\` of
                         POST /__mock/domains), not a seed file; without it a file
                         with neither \`domains\` nor \`web_users\` at the top but
                         with \`users\`, \`groups\`, \`members\` or the like is taken
                         for one
  --name <d>             the domain name a domain document is checked under (bare
                         usernames become <name>@<d>.commcarehq.org); default: the
                         file's name without .json when it is a valid domain name
  -h, --help             show this help
`

const DOMAIN_KEYS = ['users', 'groups', 'members', 'roles', 'locations', 'project_name', 'toggles', 'profiles']

/** A seed document of one domain rather than a seed file: it has domain keys and no seed keys. */
export function looksLikeDomain (doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false
  const keys = Object.keys(doc)
  return !keys.includes('domains') && !keys.includes('web_users') && keys.some(k => DOMAIN_KEYS.includes(k))
}

function plural (n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

function fail (file: string, problems: string[]): number {
  process.stderr.write(`${file}: ${plural(problemCount(problems), 'problem')}:\n${problems.map(p => `  - ${p}`).join('\n')}\n`)
  return EXIT.drift
}

export async function checkSeedCommand (argv: string[]): Promise<number> {
  let values: { domain?: boolean, name?: string, help?: boolean }
  let positionals: string[]
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { domain: { type: 'boolean' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true
    }))
  } catch (err) {
    process.stderr.write(`commcare-hq-mock check-seed: ${(err as Error).message}\n\n${CHECK_SEED_HELP}`)
    return EXIT.usage
  }
  if (values.help === true) {
    process.stdout.write(CHECK_SEED_HELP)
    return EXIT.ok
  }
  if (positionals.length !== 1) {
    process.stderr.write(`commcare-hq-mock check-seed: give exactly one file\n\n${CHECK_SEED_HELP}`)
    return EXIT.usage
  }
  if (values.name !== undefined && !DOMAIN_NAME_PATTERN.test(values.name)) {
    process.stderr.write(`commcare-hq-mock check-seed: --name must match ${DOMAIN_NAME_PATTERN.source}, not '${values.name}'\n`)
    return EXIT.usage
  }
  const file = positionals[0]
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    return fail(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`])
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return fail(file, [`not valid JSON (${(err as Error).message})`])
  }
  if (values.domain === true || (values.name !== undefined) || looksLikeDomain(doc)) {
    const stem = basename(file).replace(/\.json$/i, '')
    const name = values.name ?? (DOMAIN_NAME_PATTERN.test(stem) ? stem : 'domain')
    const problems = seedDomainProblems(doc, '', name)
    if (problems.length > 0) return fail(file, problems)
    const d = completeDomain(name, doc as SeedDomainInput)
    const members = (doc as SeedDomainInput).members === undefined ? 'every web user an admin' : plural(d.members.length, 'member')
    process.stdout.write(`${file}: valid domain seed document (as domain '${name}'): ${plural(d.users.length, 'user')}, ${plural(d.groups.length, 'group')}, ${members}\n`)
    return EXIT.ok
  }
  const problems = seedProblems(doc)
  if (problems.length > 0) return fail(file, problems)
  const seed = completeSeed(doc as SeedInput)
  const domains = Object.values(seed.domains)
  const users = domains.reduce((n, d) => n + d.users.length, 0)
  process.stdout.write(`${file}: valid seed: ${plural(domains.length, 'domain')}, ${plural(users, 'user')}, ${plural(seed.web_users.length, 'web user')}\n`)
  return EXIT.ok
}
