import { parseArgs } from 'node:util'
import type { UserDataMode } from './commcare/users.js'
import type { SlashlessMode } from './http/resource.js'
import { BUNDLED_SEED } from './paths.js'

export interface Config {
  host: string
  port: number
  /** Data directory, or null with --in-memory. */
  dataDir: string | null
  seedPath: string
  auth: boolean
  userDataMode: UserDataMode
  rateLimits: Record<string, number>
  retryAfter: number | null
  bodyLimit: number
  adminToken: string | null
  journalSize: number
  logLevel: string
  fsync: boolean
  /** Seconds a client may take to send a whole request. */
  requestTimeout: number
  /** A URL without its trailing slash: HQ's 301, or served as the slashed one. */
  slashless: SlashlessMode
  /** Wrong Basic/Digest passwords before a web user is locked out, or null for never. */
  passwordAttempts: number | null
  /** Scheme and host (and any path prefix) of the absolute URLs in location answers; null: the request's. */
  baseUrl: string | null
  /** Lay the seed down again, dropping the data directory's stored domains and state. */
  fresh: boolean
}

export class ConfigError extends Error {}

export const HELP = `commcare-hq-mock: an offline stand-in for CommCare HQ's mobile-worker user API

Usage: commcare-hq-mock [options]
       commcare-hq-mock check-seed <file>        (validate a seed without starting)
       commcare-hq-mock import|record|verify …   (measure the mock against your HQ;
                                                  \`commcare-hq-mock <command> --help\`)

Options (each also settable by the environment variable in brackets; a flag wins):
  --port <n>            port to listen on, 0 for any free one [PORT] (default 8000)
  --host <addr>         address to listen on [HOST] (default 127.0.0.1)
  --data <dir>          data directory, created from the seed on first start
                        [MOCK_DATA_DIR] (default ./data)
  --seed <file>         seed file: domains, users, groups, web users and keys
                        [MOCK_SEED] (default: the bundled seed/default.json)
  --fresh               lay the seed down again: remove the data directory's stored
                        domains and state first [MOCK_FRESH=1]
  --in-memory           keep all state in memory, write no files [MOCK_IN_MEMORY=1]
  --no-auth             accept every request as an admin of every domain [MOCK_AUTH=off]
  --slashless <mode>    a CommCare URL without its trailing '/': redirect (HQ's
                        301 to the URL with it, default) or serve (answer it
                        directly, with an X-Mock-Warning header) [MOCK_SLASHLESS]
  --base-url <url>      scheme and host of the absolute URLs in location and
                        location-type answers, e.g. https://www.commcarehq.org
                        [MOCK_BASE_URL] (default: the request's scheme and Host)
  --password-attempts <n>
                        lock a web user out after n wrong Basic/Digest passwords
                        (401 "maximum password attempts exceeded" until a
                        request succeeds or a reset) [MOCK_PASSWORD_ATTEMPTS]
                        (default: never)
  --user-data <mode>    how PUT treats user_data: replace (the published docs,
                        default) or merge (HQ's code) [MOCK_USER_DATA]
  --rate-limit <d=n>    limit domain d to n requests per minute; repeatable
                        [MOCK_RATE_LIMITS="demo=5,other=60"]
  --retry-after <s>     send Retry-After: s with 429 answers [MOCK_RETRY_AFTER]
                        (default: none, as HQ)
  --body-limit <bytes>  largest request body [MOCK_BODY_LIMIT] (default 5242880)
  --admin-token <t>     require "Authorization: Bearer <t>" or "X-Mock-Admin-Token: <t>"
                        on /__mock/* [MOCK_ADMIN_TOKEN]
  --journal-size <n>    requests kept in the request journal [MOCK_JOURNAL_SIZE]
                        (default 1000)
  --log-level <level>   fatal, error, warn, info, debug or silent [LOG_LEVEL]
                        (default info)
  --no-fsync            do not fsync writes (faster, not crash-safe) [MOCK_FSYNC=off]
  --request-timeout <s> seconds a client may take to send a request before it is
                        cut off [MOCK_REQUEST_TIMEOUT] (default 30)
  -h, --help            show this help
  -v, --version         print the version
`

function int (name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, not '${raw}'`)
  const n = Number(raw.trim())
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, not ${n}`)
  return n
}

function onOff (name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase()
  if (['1', 'true', 'on', 'yes'].includes(v)) return true
  if (['0', 'false', 'off', 'no'].includes(v)) return false
  throw new ConfigError(`${name} must be on or off, not '${raw}'`)
}

function rateLimits (entries: string[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null)
  for (const entry of entries.flatMap(e => e.split(',')).map(e => e.trim()).filter(e => e !== '')) {
    const m = /^([a-z0-9][a-z0-9-]*)=(\d+)$/.exec(entry)
    if (m === null) throw new ConfigError(`rate limit '${entry}' must look like domain=requests-per-minute`)
    out[m[1]] = int(`rate limit of ${m[1]}`, m[2], 1, 1_000_000)
  }
  return out
}

/** An http(s) URL without query or fragment, its trailing '/' dropped. */
function parseBaseUrl (raw: string): string {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new ConfigError(`--base-url must be an http or https URL such as https://www.commcarehq.org, not '${raw}'`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`--base-url must be an http or https URL without credentials, query or fragment, not '${raw}'`)
  }
  return (url.origin + url.pathname).replace(/\/+$/, '')
}

export type ParseResult = { kind: 'help' } | { kind: 'version' } | { kind: 'run', config: Config }

export function parseConfig (argv: string[], env: NodeJS.ProcessEnv): ParseResult {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        seed: { type: 'string' },
        'in-memory': { type: 'boolean' },
        fresh: { type: 'boolean' },
        'no-auth': { type: 'boolean' },
        slashless: { type: 'string' },
        'password-attempts': { type: 'string' },
        'base-url': { type: 'string' },
        'user-data': { type: 'string' },
        'rate-limit': { type: 'string', multiple: true },
        'retry-after': { type: 'string' },
        'body-limit': { type: 'string' },
        'admin-token': { type: 'string' },
        'journal-size': { type: 'string' },
        'log-level': { type: 'string' },
        'no-fsync': { type: 'boolean' },
        'request-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' }
      }
    }))
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] !== undefined && env[envName] !== '' ? env[envName] : undefined)

  const mode = pick(values['user-data'], 'MOCK_USER_DATA') ?? 'replace'
  if (mode !== 'replace' && mode !== 'merge') throw new ConfigError(`--user-data must be replace or merge, not '${mode}'`)
  const slashless = pick(values.slashless, 'MOCK_SLASHLESS') ?? 'redirect'
  if (slashless !== 'redirect' && slashless !== 'serve') throw new ConfigError(`--slashless must be redirect or serve, not '${slashless}'`)
  const baseUrl = pick(values['base-url'], 'MOCK_BASE_URL')
  const attempts = pick(values['password-attempts'], 'MOCK_PASSWORD_ATTEMPTS')
  const logLevel = pick(values['log-level'], 'LOG_LEVEL') ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw new ConfigError(`unknown log level '${logLevel}'`)
  const retryAfter = pick(values['retry-after'], 'MOCK_RETRY_AFTER')
  const fresh = values.fresh === true || (env.MOCK_FRESH !== undefined && env.MOCK_FRESH !== '' && onOff('MOCK_FRESH', env.MOCK_FRESH))
  const inMemory = values['in-memory'] === true || (env.MOCK_IN_MEMORY !== undefined && env.MOCK_IN_MEMORY !== '' && onOff('MOCK_IN_MEMORY', env.MOCK_IN_MEMORY))
  const auth = values['no-auth'] === true ? false : env.MOCK_AUTH !== undefined && env.MOCK_AUTH !== '' ? onOff('MOCK_AUTH', env.MOCK_AUTH) : true
  const fsync = values['no-fsync'] === true ? false : env.MOCK_FSYNC !== undefined && env.MOCK_FSYNC !== '' ? onOff('MOCK_FSYNC', env.MOCK_FSYNC) : true
  const rl = [...(values['rate-limit'] ?? []), ...(values['rate-limit'] === undefined && env.MOCK_RATE_LIMITS !== undefined ? [env.MOCK_RATE_LIMITS] : [])]

  return {
    kind: 'run',
    config: {
      host: pick(values.host, 'HOST') ?? '127.0.0.1',
      port: int('port', pick(values.port, 'PORT') ?? '8000', 0, 65535),
      dataDir: inMemory ? null : pick(values.data, 'MOCK_DATA_DIR') ?? 'data',
      seedPath: pick(values.seed, 'MOCK_SEED') ?? BUNDLED_SEED,
      auth,
      userDataMode: mode,
      rateLimits: rateLimits(rl),
      retryAfter: retryAfter === undefined ? null : int('retry-after', retryAfter, 0, 86400),
      bodyLimit: int('body-limit', pick(values['body-limit'], 'MOCK_BODY_LIMIT') ?? '5242880', 1024, 1024 * 1024 * 1024),
      adminToken: pick(values['admin-token'], 'MOCK_ADMIN_TOKEN') ?? null,
      journalSize: int('journal-size', pick(values['journal-size'], 'MOCK_JOURNAL_SIZE') ?? '1000', 0, 1_000_000),
      logLevel,
      fsync,
      requestTimeout: int('request-timeout', pick(values['request-timeout'], 'MOCK_REQUEST_TIMEOUT') ?? '30', 1, 3600),
      slashless,
      passwordAttempts: attempts === undefined ? null : int('password-attempts', attempts, 1, 1_000_000),
      baseUrl: baseUrl === undefined ? null : parseBaseUrl(baseUrl),
      fresh
    }
  }
}
