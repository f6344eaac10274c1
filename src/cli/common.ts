import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { HqClient, HqClientError, type Credentials } from '../client/hq-client.js'

// What the import, record and verify commands share: the target's options,
// one-line errors, and the exit codes.

export const EXIT = { ok: 0, drift: 1, usage: 2, failed: 3 } as const

export class UsageError extends Error {}
/** A failure to say in one sentence (no stack trace). */
export class CommandError extends Error {}

export const TARGET_OPTIONS = {
  url: { type: 'string' },
  domain: { type: 'string' },
  username: { type: 'string' },
  'api-key': { type: 'string' },
  'api-key-env': { type: 'string' },
  'password-env': { type: 'string' },
  timeout: { type: 'string' }
} as const satisfies ParseArgsConfig['options']

export const TARGET_HELP = `Target (always named; nothing runs against a server you did not give):
  --url <base>           the server's base URL, e.g. https://www.commcarehq.org
  --domain <d>           the project space
  --username <u>         a web user of the project space (the API's user)
  --api-key <k>          that user's API key, or
  --api-key-env <VAR>    the name of an environment variable holding the key, or
  --password-env <VAR>   the name of an environment variable holding the password (Basic)
  --timeout <s>          seconds to wait for each answer (default 30)`

/** Parsed flags: a string option's value, true for a boolean one, undefined when absent. */
export type Values = Record<string, string | boolean | undefined>

export function parse (argv: string[], options: NonNullable<ParseArgsConfig['options']>): Values {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values as Values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

/** A string option's value, or undefined. */
export function opt (values: Values, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function required (values: Values, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}

function seconds (raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (typeof raw !== 'string' || !Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`--timeout must be a number of seconds between 0 and 3600, not '${String(raw)}'`)
  return n
}

export function credentials (values: Values, env: NodeJS.ProcessEnv, prefix = ''): Credentials {
  const username = required(values, `${prefix}username`)
  const key = values[`${prefix}api-key`]
  const keyEnv = values[`${prefix}api-key-env`]
  const pwEnv = values[`${prefix}password-env`]
  const given = [key, keyEnv, pwEnv].filter(v => v !== undefined).length
  if (given !== 1) throw new UsageError(`give exactly one of --${prefix}api-key, --${prefix}api-key-env and --${prefix}password-env`)
  if (typeof key === 'string') {
    if (key === '') throw new UsageError(`--${prefix}api-key is empty`)
    return { kind: 'api-key', username, apiKey: key }
  }
  const name = (keyEnv ?? pwEnv) as string
  const value = env[name]
  if (value === undefined || value === '') throw new UsageError(`the environment variable ${name} is not set (it should hold the ${keyEnv !== undefined ? 'API key' : 'password'})`)
  return keyEnv !== undefined ? { kind: 'api-key', username, apiKey: value } : { kind: 'password', username, password: value }
}

export function targetClient (values: Values, env: NodeJS.ProcessEnv, log: (line: string) => void): { client: HqClient, domain: string } {
  const url = required(values, 'url')
  const domain = required(values, 'domain')
  const creds = credentials(values, env)
  try {
    return { client: new HqClient({ baseUrl: url, credentials: creds, timeoutMs: seconds(values.timeout, 30) * 1000, log }), domain }
  } catch (err) {
    if (err instanceof HqClientError) throw new UsageError(err.message)
    throw err
  }
}

export function timeoutMs (values: Values): number {
  return seconds(values.timeout, 30) * 1000
}

export async function readJsonFile (path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new CommandError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new CommandError(`the ${what} ${path} is not JSON`)
  }
}

export async function writeJsonFile (path: string, value: unknown, what: string): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(value, null, 2) + '\n')
  } catch (err) {
    throw new CommandError(`cannot write the ${what} ${path}: ${(err as Error).message}`)
  }
}

/**
 * Runs a command body and turns every expected failure into one line on
 * stderr and an exit code; an unexpected one is still one line, with a hint.
 */
export async function guarded (command: string, help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body()
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`commcare-hq-mock ${command}: ${err.message}\n\n${help}`)
      return EXIT.usage
    }
    if (err instanceof HqClientError || err instanceof CommandError) {
      process.stderr.write(`commcare-hq-mock ${command}: ${err.message}\n`)
      return EXIT.failed
    }
    process.stderr.write(`commcare-hq-mock ${command}: unexpected failure: ${(err as Error).message ?? String(err)}\n`)
    return EXIT.failed
  }
}

export const stderrLog = (command: string) => (line: string): void => { process.stderr.write(`${command}: ${line}\n`) }
