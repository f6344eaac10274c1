import { importProject } from '../import/import-project.js'
import { seedProblems } from '../store/validate.js'
import { CommandError, EXIT, opt, guarded, parse, stderrLog, targetClient, TARGET_HELP, TARGET_OPTIONS, writeJsonFile } from './common.js'

export const IMPORT_HELP = `commcare-hq-mock import: make the mock look like your project space

Reads the project's mobile workers (active and deactivated), groups, locations,
location types, and what those reveal of custom user fields, profiles and
roles, through the same API endpoints clients use (GET only), and writes a
seed file the mock loads with --seed. No password or API key is read or
written: workers get none (or, with --worker-passwords, a generated one listed
once on stderr), and you become the seed's web user with a placeholder key.

Usage: commcare-hq-mock import --url <base> --domain <d> --username <u>
         (--api-key <k> | --api-key-env <VAR> | --password-env <VAR>) [options]

${TARGET_HELP}

Options:
  --out <file>           where to write the seed (default seed.json)
  --anonymize            replace people's names, e-mail addresses, phone numbers and
                         usernames with made-up ones (consistently)
  --placeholder-key <k>  the API key your web user gets in the seed (default mock-api-key)
  --worker-passwords     give every worker a generated password, listed once on stderr
  -h, --help             show this help
`

export async function importCommand (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return guarded('import', IMPORT_HELP, async () => {
    const values = parse(argv, {
      ...TARGET_OPTIONS,
      out: { type: 'string' },
      anonymize: { type: 'boolean' },
      'placeholder-key': { type: 'string' },
      'worker-passwords': { type: 'boolean' }
    })
    if (values.help === true) {
      process.stdout.write(IMPORT_HELP)
      return EXIT.ok
    }
    const log = stderrLog('import')
    const { client, domain } = targetClient(values, env, log)
    const out = opt(values, 'out') ?? 'seed.json'
    const placeholderKey = opt(values, 'placeholder-key') ?? 'mock-api-key'
    log(`reading project space '${domain}' from ${client.baseUrl} as ${client.username}`)
    const result = await importProject(client, {
      domain,
      placeholderKey,
      workerPasswords: values['worker-passwords'] === true,
      anonymize: values.anonymize === true,
      log
    })
    const problems = seedProblems(result.seed)
    if (problems.length > 0) throw new CommandError(`the project's data does not make a valid seed: ${problems.join('; ')}`)
    await writeJsonFile(out, result.seed, 'seed')
    for (const note of result.notes) log(`note: ${note}`)
    const c = result.counts
    log(`wrote ${out}: ${c.workers} mobile workers, ${c.groups} groups, ${c.locations} locations, ${c.location_types} location types, ${c.roles} roles, ${c.profiles} profiles, ${c.custom_user_fields} custom user fields${values.anonymize === true ? ' (anonymized)' : ''}`)
    const me = result.seed.web_users[0]
    log(`web user: ${me.username} with the placeholder API key '${placeholderKey}' (not your real key, which was never stored)`)
    log(`start the mock: commcare-hq-mock --seed ${out}   and call it with: Authorization: ApiKey ${me.username}:${placeholderKey}`)
    if (result.passwords.length > 0) {
      log(`generated worker passwords (shown this once, stored only in ${out}):`)
      for (const [u, p] of result.passwords) process.stderr.write(`  ${u} ${p}\n`)
    } else {
      log('workers have no password in the seed (add --worker-passwords to generate some)')
    }
    return EXIT.ok
  })
}
