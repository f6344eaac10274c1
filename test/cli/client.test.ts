import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { HqClient, HqClientError } from '../../src/client/hq-client.js'
import { runCli, server } from './cli-run.js'

// The HTTP client import, record and verify share: back-off on 429, paging
// along meta.next, and what it sends.

async function fake (t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler)
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { s.closeAllConnections(); s.close() })
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`
}

const creds = { kind: 'api-key', username: 'u@example.org', apiKey: 'k1' } as const

t.test('a 429 is retried after Retry-After, else after 1, 2, 4 … s', async t => {
  let calls = 0
  const base = await fake(t, (req, res) => {
    calls++
    if (calls === 1) res.writeHead(429, { 'retry-after': '3' }).end()
    else if (calls === 2) res.writeHead(429).end()
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}')
  })
  const waits: number[] = []
  const lines: string[] = []
  const client = new HqClient({ baseUrl: base, credentials: creds, sleep: async ms => { waits.push(ms) }, log: l => lines.push(l) })
  t.same(await client.getJson('/x/'), { ok: true })
  t.same(waits, [3000, 2000])
  t.same(lines, [
    'rate limited (429) on GET /x/; waiting 3 s before trying again (attempt 2 of 6)',
    'rate limited (429) on GET /x/; waiting 2 s before trying again (attempt 3 of 6)'
  ])
})

t.test('a 429 that persists is one clear error', async t => {
  const base = await fake(t, (req, res) => { res.writeHead(429).end() })
  const client = new HqClient({ baseUrl: base, credentials: creds, maxAttempts: 3, sleep: async () => {} })
  await t.rejects(client.getJson('/x/'), new HqClientError('rate-limited', `${base} kept answering 429 (rate limited) to GET /x/ after 3 attempts; wait a minute and run again`, 429))
})

t.test('listAll follows meta.next, relative or absolute, and sends the API key header', async t => {
  const seen: Array<[string, string | undefined]> = []
  const base = await fake(t, (req, res) => {
    seen.push([req.url!, req.headers.authorization])
    const page = req.url === '/a/d/api/v0.5/user/?limit=2'
      ? { meta: { next: '?limit=2&offset=2', total_count: 5 }, objects: [1, 2] }
      : req.url === '/a/d/api/v0.5/user/?limit=2&offset=2'
        ? { meta: { next: 'http://elsewhere/a/d/api/v0.5/user/?limit=2&offset=4', total_count: 5 }, objects: [3, 4] }
        : { meta: { next: null, total_count: 5 }, objects: [5] }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page))
  })
  const progress: string[] = []
  const client = new HqClient({ baseUrl: base + '/', credentials: creds })
  t.same(await client.listAll('/a/d/api/v0.5/user/', { limit: '2' }, (n, total) => progress.push(`${n}/${total}`)), [1, 2, 3, 4, 5])
  t.same(seen, [
    ['/a/d/api/v0.5/user/?limit=2', 'ApiKey u@example.org:k1'],
    ['/a/d/api/v0.5/user/?limit=2&offset=2', 'ApiKey u@example.org:k1'],
    ['/a/d/api/v0.5/user/?limit=2&offset=4', 'ApiKey u@example.org:k1']
  ], 'the next page is asked of the target, never of another host')
  t.same(progress, ['2/5', '4/5', '5/5'])
})

t.test('a base URL with credentials in it is refused', async t => {
  t.throws(() => new HqClient({ baseUrl: 'https://u:p@example.org', credentials: creds }), { message: 'put no credentials in the URL; use --username with --api-key or --password-env' })
  t.throws(() => new HqClient({ baseUrl: 'example.org', credentials: creds }), { message: "'example.org' is not a URL (give the server's base, e.g. https://www.commcarehq.org)" })
})

t.test('import against a rate-limited mock backs off, then says so in one line', async t => {
  const target = await server(t, ['--rate-limit', 'demo=1', '--retry-after', '1'])
  const run = await runCli(['import', '--url', target.url, '--domain', 'demo', '--username', 'admin@example.org', '--password-env', 'HQ_PASSWORD', '--out', '/dev/null'], { env: { HQ_PASSWORD: 'password' } })
  t.equal(run.code, 3)
  t.match(run.stderr, 'import: rate limited (429) on GET /a/demo/api/v0.5/user/; waiting 1 s before trying again (attempt 2 of 6)\n')
  t.match(run.stderr, /\ncommcare-hq-mock import: http:\/\/127\.0\.0\.1:\d+ kept answering 429 \(rate limited\) to GET \/a\/demo\/api\/v0\.5\/user\/ after 6 attempts; wait a minute and run again\n$/)
  t.notOk(run.stderr.includes(Buffer.from('admin@example.org:password').toString('base64')), 'the credentials are not printed')
})
