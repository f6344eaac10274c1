import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, HELP, parseConfig, type Config } from './config.js'
import { Store, StartupError } from './store/store.js'
import { problemCount } from './store/validate.js'
import { VERSION } from './version.js'
import type { FastifyInstance } from 'fastify'

export interface RunningServer {
  app: FastifyInstance
  store: Store
  url: string
  close: () => Promise<void>
}

/** Opens the store, builds the app and listens; the entry points share this. */
export async function startServer (config: Config): Promise<RunningServer> {
  const store = await Store.open({ seedPath: config.seedPath, dataDir: config.dataDir, fsync: config.fsync, fresh: config.fresh })
  let app: FastifyInstance
  try {
    app = await buildApp({
      store,
      auth: config.auth,
      userDataMode: config.userDataMode,
      bodyLimit: config.bodyLimit,
      rateLimits: config.rateLimits,
      retryAfter: config.retryAfter,
      adminToken: config.adminToken,
      journalSize: config.journalSize,
      requestTimeout: config.requestTimeout,
      slashless: config.slashless,
      passwordAttempts: config.passwordAttempts,
      baseUrl: config.baseUrl,
      logger: config.logLevel === 'silent' ? false : { level: config.logLevel }
    })
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await store.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  return {
    app,
    store,
    url: `http://${host}:${port}`,
    close: async () => {
      // Fastify lets in-flight requests finish (and so their writes), then the
      // store waits for any flush still running and releases the data directory.
      // A keep-alive connection whose request finishes during the close stays
      // open and would hold the close up; close each one once it is idle.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
      try {
        await app.close()
      } finally {
        clearInterval(sweep)
      }
      await store.close()
    }
  }
}

function banner (config: Config, server: RunningServer): string {
  const admin = server.store.webUsers().find(w => w.api_keys.some(k => k.active && k.domain === null))
  const lines = [
    `commcare-hq-mock ${VERSION} listening on ${server.url}`,
    `  data:  ${server.store.describeData()}`,
    `  seed:  ${server.store.seedPath}`,
    `  domains: ${server.store.domainNames().join(', ')}`
  ]
  if (!config.auth) lines.push('  auth:  OFF (--no-auth): every request acts as an admin of every domain')
  else if (admin !== undefined) {
    lines.push(`  auth:  Authorization: ApiKey ${admin.username}:<api key>   (keys are in the seed file; README lists the bundled ones)`)
    lines.push('         also Basic (password or API key), Digest, Bearer, or username=…&api_key=… in the query or a form body')
  }
  lines.push(`  try:   curl -H 'Authorization: ApiKey <user>:<key>' ${server.url}/a/${server.store.domainNames()[0] ?? 'demo'}/api/v0.5/user/`)
  lines.push(`  inspector: ${server.url}/__mock/   API docs: ${server.url}/__mock/docs`)
  if (config.slashless === 'serve') lines.push("  URLs without their trailing '/' are served directly (--slashless serve); HQ answers them with a 301")
  if (config.adminToken !== null) lines.push('  /__mock/* requires the admin token (open the inspector with ?token=<token>)')
  return lines.join('\n')
}

/** One problem as it was; several each on a line of their own, counted. */
export function startupProblems (problems: string[]): string {
  if (problems.length === 1) return problems[0]
  return `${problemCount(problems)} problems:\n${problems.map(p => `  - ${p}`).join('\n')}`
}

/** Says that the data directory holds another seed's data than the seed given. */
export function seedMismatchLine (store: Store): string {
  return `commcare-hq-mock: warning: the data directory ${store.describeData()} was laid down from another seed than ${store.seedPath}; ` +
    'it keeps serving its stored data. To start over from this seed, start with --fresh (or MOCK_FRESH=1).'
}

/**
 * The command line: 0 or more for an exit code, -1 while serving. `onServing`
 * runs once the server listens.
 */
export async function main (argv: string[], env: NodeJS.ProcessEnv, onServing?: () => void): Promise<number> {
  let parsed
  try {
    parsed = parseConfig(argv, env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`commcare-hq-mock: ${err.message}\nRun with --help for the options.\n`)
      return 2
    }
    throw err
  }
  if (parsed.kind === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (parsed.kind === 'version') {
    process.stdout.write(VERSION + '\n')
    return 0
  }
  const config = parsed.config
  let server: RunningServer
  try {
    server = await startServer(config)
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`commcare-hq-mock: cannot start: ${err.file}: ${startupProblems(err.problems)}\n`)
      return 1
    }
    process.stderr.write(`commcare-hq-mock: cannot start: ${(err as Error).message}\n`)
    return 1
  }
  onServing?.()
  if (server.store.seedMismatch) process.stderr.write(seedMismatchLine(server.store) + '\n')
  process.stdout.write(banner(config, server) + '\n')
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) server.app.log.error({ err }, 'closing after an error')
    else if (signal !== undefined) process.stdout.write(`commcare-hq-mock: ${signal} received, closing\n`)
    await server.close()
  })
  return -1
}
