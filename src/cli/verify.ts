import { HqClient, HqClientError } from '../client/hq-client.js'
import { parseConfig } from '../config.js'
import { startServer, type RunningServer } from '../server.js'
import { StartupError } from '../store/store.js'
import { record } from '../verify/run.js'
import { transcriptProblem, type Transcript } from '../verify/transcript.js'
import { formatReport, verify } from '../verify/verify.js'
import { CommandError, EXIT, opt, guarded, parse, readJsonFile, stderrLog, targetClient, timeoutMs, TARGET_HELP, TARGET_OPTIONS, UsageError, writeJsonFile } from './common.js'

export const VERIFY_HELP = `commcare-hq-mock verify: compare the mock's answers with a server's, answer by answer

Replays a transcript (from \`commcare-hq-mock record\`), or records one live
from --url first, against the mock, and compares each answer: status, content
type, Location / Allow / WWW-Authenticate, key sets and their order, value
types, values, exact error messages and paging envelopes. The throwaway
worker's id and username, each server's base URL, timestamps and Digest nonces
are normalized first. Prints a table and every drift with its request, both
answers and the BEHAVIOR.md rule; writes the same as a JSON report.

Exit code: 0 no drift, 1 drift, 2 bad usage, 3 could not run (network, timeout,
credentials refused, unreadable file).

Usage: commcare-hq-mock verify (--transcript <file> | <target options>)
         (--mock <url> | --seed <file>) [options]

The recording:
  --transcript <file>    a transcript written by \`record\`, or record one live:
${TARGET_HELP.split('\n').slice(1).join('\n')}
  --allow-writes         (live only) include the throwaway-worker lifecycle
  --out <file>           (live only) also keep the live transcript here

The mock (seeded from the same project, e.g. by \`commcare-hq-mock import\`):
  --mock <url>           a running mock's base URL, or
  --seed <file>          start a mock in memory on this seed for the comparison
  --mock-username <u>    the mock's web user (default: the transcript's username)
  --mock-api-key <k>     its API key (default: the seed's key for that user with
                         --seed, else mock-api-key, the key \`import\` puts in a seed)

Options:
  --report <file>        where to write the JSON report (default drift-report.json)
  -h, --help             show this help
`

interface SeedShape { web_users?: Array<{ username?: string, api_keys?: Array<{ key?: string, domain?: string | null, active?: boolean, role?: string | null, expiration_date?: string | null, ip_allowlist?: string[] }> }> }

/** A key of `username` in the seed that works on `domain` with the user's full rights. */
function seedKey (seed: unknown, username: string, domain: string): string | null {
  const user = (seed as SeedShape).web_users?.find(w => w.username?.toLowerCase() === username.toLowerCase())
  const key = user?.api_keys?.find(k => k.active === true && (k.domain === null || k.domain === domain) &&
    (k.role ?? null) === null && (k.expiration_date ?? null) === null && (k.ip_allowlist ?? []).length === 0)
  return key?.key ?? null
}

export async function verifyCommand (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return guarded('verify', VERIFY_HELP, async () => {
    const values = parse(argv, {
      ...TARGET_OPTIONS,
      transcript: { type: 'string' },
      'allow-writes': { type: 'boolean' },
      out: { type: 'string' },
      mock: { type: 'string' },
      seed: { type: 'string' },
      'mock-username': { type: 'string' },
      'mock-api-key': { type: 'string' },
      report: { type: 'string' }
    })
    if (values.help === true) {
      process.stdout.write(VERIFY_HELP)
      return EXIT.ok
    }
    const log = stderrLog('verify')
    const transcriptPath = opt(values, 'transcript')
    const seedPath = opt(values, 'seed')
    const outPath = opt(values, 'out')
    if ((transcriptPath === undefined) === (values.url === undefined)) throw new UsageError('give either --transcript <file> or a live target (--url, --domain, --username and a key)')
    if ((values.mock === undefined) === (seedPath === undefined)) throw new UsageError('give either --mock <url> (a running mock) or --seed <file> (start one for the comparison)')
    if (transcriptPath !== undefined && (values['allow-writes'] === true || outPath !== undefined)) throw new UsageError('--allow-writes and --out apply to a live recording only')

    // The seed is read first: a bad file should fail before anything is sent anywhere.
    const seed = seedPath === undefined ? undefined : await readJsonFile(seedPath, 'seed')

    let transcript: Transcript
    if (transcriptPath !== undefined) {
      const raw = await readJsonFile(transcriptPath, 'transcript')
      const problem = transcriptProblem(raw)
      if (problem !== null) throw new CommandError(`${transcriptPath} is not a transcript: ${problem}`)
      transcript = raw as Transcript
    } else {
      const { client, domain } = targetClient(values, env, log)
      transcript = await record(client, { domain, allowWrites: values['allow-writes'] === true, log })
      if (outPath !== undefined) {
        await writeJsonFile(outPath, transcript, 'transcript')
        log(`wrote the live transcript to ${outPath}`)
      }
    }

    const username = opt(values, 'mock-username') ?? transcript.username
    let server: RunningServer | null = null
    let mockUrl = opt(values, 'mock')
    let key = opt(values, 'mock-api-key')
    try {
      if (seed !== undefined && seedPath !== undefined) {
        key ??= seedKey(seed, username, transcript.domain) ?? undefined
        if (key === undefined) throw new CommandError(`${seedPath} has no usable API key for '${username}' (give --mock-username and --mock-api-key)`)
        const parsed = parseConfig(['--in-memory', '--seed', seedPath, '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent'], {})
        if (parsed.kind !== 'run') throw new CommandError('cannot configure the mock')
        try {
          server = await startServer(parsed.config)
        } catch (err) {
          if (err instanceof StartupError) throw new CommandError(`the mock cannot start on ${seedPath}: ${err.problems.join('; ')}`)
          throw new CommandError(`the mock cannot start: ${(err as Error).message}`)
        }
        mockUrl = server.url
        log(`started a mock on ${seedPath} at ${mockUrl}`)
      }
      let mock: HqClient
      try {
        mock = new HqClient({ baseUrl: mockUrl!, credentials: { kind: 'api-key', username, apiKey: key ?? 'mock-api-key' }, timeoutMs: timeoutMs(values), log })
      } catch (err) {
        if (err instanceof HqClientError) throw new UsageError(err.message)
        throw err
      }
      const check = await mock.send({ method: 'GET', path: '/api/v0.5/identity/' })
      if (check.status === 401) throw new CommandError(`the mock at ${mock.baseUrl} refused '${username}' with that API key (401); give --mock-username and --mock-api-key`)
      const report = await verify(transcript, mock, log)
      const reportPath = opt(values, 'report') ?? 'drift-report.json'
      await writeJsonFile(reportPath, report, 'report')
      process.stdout.write(formatReport(report))
      process.stdout.write(`Report: ${reportPath}\n`)
      return report.drift_count === 0 ? EXIT.ok : EXIT.drift
    } finally {
      await server?.close()
    }
  })
}
