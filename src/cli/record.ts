import { record } from '../verify/run.js'
import { EXIT, opt, guarded, parse, stderrLog, targetClient, TARGET_HELP, TARGET_OPTIONS, writeJsonFile } from './common.js'

export const RECORD_HELP = `commcare-hq-mock record: record what a server answers to the built-in probes

Runs the probe suite against the target and writes a transcript: each request
(without credentials), each answer's status, relevant headers and body. By
default every probe is read-only: lists, details, paging, filters, bad
credentials, 404/400/405 cases and slash-less URLs (a 405 probe is sent without
credentials, so it cannot change anything even if the server allowed it).

With --allow-writes it also runs a lifecycle on one throwaway mobile worker it
creates itself, named hq-mock-verify-<random>: create, each PUT rule,
deactivate / activate, retire. It never changes anything it did not create, and
always deletes (retires) the worker at the end, even after an error.

Usage: commcare-hq-mock record --url <base> --domain <d> --username <u>
         (--api-key <k> | --api-key-env <VAR> | --password-env <VAR>) [options]

${TARGET_HELP}

Options:
  --out <file>           where to write the transcript (default transcript.json)
  --allow-writes         also run the throwaway-worker lifecycle (see above)
  -h, --help             show this help
`

export async function recordCommand (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return guarded('record', RECORD_HELP, async () => {
    const values = parse(argv, { ...TARGET_OPTIONS, out: { type: 'string' }, 'allow-writes': { type: 'boolean' } })
    if (values.help === true) {
      process.stdout.write(RECORD_HELP)
      return EXIT.ok
    }
    const log = stderrLog('record')
    const { client, domain } = targetClient(values, env, log)
    const out = opt(values, 'out') ?? 'transcript.json'
    const transcript = await record(client, { domain, allowWrites: values['allow-writes'] === true, log })
    await writeJsonFile(out, transcript, 'transcript')
    log(`wrote ${out}: ${transcript.exchanges.length} answers from ${transcript.target}${transcript.writes ? ' (with the write lifecycle)' : ' (read-only)'}`)
    return EXIT.ok
  })
}
