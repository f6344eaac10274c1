import t from 'tap'
import { Readable } from 'node:stream'
import { build, ADMIN, JDOE } from '../helpers/app.js'
import { JOURNAL_BODY_LIMIT } from '../../src/mock/journal.js'
import { redactAuthorization, redactUrl } from '../../src/mock/redact.js'

// No secret a request carries comes back: not in X-Mock-Reason, a list link,
// a log line or the journal, however its name is spelled or encoded.

const LIST = '/a/demo/api/v0.5/user/'
const TOKEN = 'admin-token-7f3a9c'

function logSink (): { lines: string[], stream: { write: (line: string) => void } } {
  const lines: string[] = []
  return { lines, stream: { write: line => { lines.push(line) } } }
}

async function journalText (app: Awaited<ReturnType<typeof build>>): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/__mock/requests?limit=1000', headers: { 'x-mock-admin-token': TOKEN } })
  return res.body
}

t.test('a credential sent without a scheme is not echoed in X-Mock-Reason, the journal or the log', async t => {
  const log = logSink()
  const app = await build(t, { adminToken: TOKEN, logger: { level: 'info', stream: log.stream } })
  const res = await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'demo-bearer-token' } })
  t.equal(res.statusCode, 401)
  t.equal(res.body, '')
  t.equal(res.headers['x-mock-reason'], 'the Authorization header does not start with a scheme HQ accepts (ApiKey, Basic, Digest or Bearer); its value is not repeated here')
  t.match(res.headers['www-authenticate'], /^Digest /)
  const known = await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'Token abc123secret' } })
  t.equal(known.statusCode, 401)
  t.equal(known.headers['x-mock-reason'], "unsupported Authorization scheme 'token': HQ accepts ApiKey, Basic, Digest and Bearer", 'a well-known scheme word is named, never what follows it')
  const odd = await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'demo-api-key admin@example.org' } })
  t.notMatch(odd.headers['x-mock-reason'], /demo-api-key/)
  const journal = await journalText(app)
  for (const secret of ['demo-bearer-token', 'abc123secret', 'demo-api-key']) {
    t.notOk(journal.includes(secret), `the journal does not hold ${secret}`)
    t.notOk(log.lines.join('').includes(secret), `the log does not hold ${secret}`)
  }
})

t.test('percent-encoded secret parameter names are redacted in the log, the journal and the inspector URL', async t => {
  const log = logSink()
  const app = await build(t, { adminToken: TOKEN, logger: { level: 'info', stream: log.stream } })
  const accepted = await app.inject({ method: 'GET', url: `${LIST}?username=admin@example.org&api%5Fkey=demo-api-key` })
  t.equal(accepted.statusCode, 200, 'the server reads api%5Fkey as api_key')
  await app.inject({ method: 'GET', url: `${LIST}?pass%77ord=pw-3c1d&tok%65n=tk-77e0&API_KEY=uk-5a5a&access%5Ftoken=at-9b9b`, headers: { authorization: ADMIN } })
  const page = await app.inject({ method: 'GET', url: `/__mock/?%74oken=${TOKEN}` })
  t.equal(page.statusCode, 200, 'the inspector page')
  const secrets = ['demo-api-key', 'pw-3c1d', 'tk-77e0', 'uk-5a5a', 'at-9b9b', TOKEN]
  const logged = log.lines.join('')
  t.ok(logged.includes('api%5Fkey=[redacted]'), 'the logged URL keeps the name as sent and hides the value')
  t.ok(logged.includes('/__mock/?%74oken=[redacted]'))
  const journal = await journalText(app)
  for (const secret of secrets) {
    t.notOk(logged.includes(secret), `no log line holds ${secret}`)
    t.notOk(journal.includes(secret), `the journal does not hold ${secret}`)
  }
  const entries = JSON.parse(journal).requests
  t.same(entries[0].query, { password: '[redacted]', token: '[redacted]', API_KEY: '[redacted]', access_token: '[redacted]' })
  t.equal(entries[0].query.password, '[redacted]')
  t.equal(entries[0].query.token, '[redacted]')
  t.equal(entries[1].query.api_key, '[redacted]')
  t.equal(entries[1].query.username, 'admin@example.org')
})

t.test('redactUrl judges names decoded, in any case, and leaves the rest as sent', async t => {
  t.equal(redactUrl('/a/?username=u&api%5Fkey=k&x=%41'), '/a/?username=u&api%5Fkey=[redacted]&x=%41')
  t.equal(redactUrl('/a/?pass%77ord=p&tok%65n=t&Password=q&api-key=z&a+b=c'), '/a/?pass%77ord=[redacted]&tok%65n=[redacted]&Password=[redacted]&api-key=[redacted]&a+b=c')
  t.equal(redactUrl('/a/?%E0%A4%A=1&token=s'), '/a/?%E0%A4%A=1&token=[redacted]', 'a malformed name stays as sent')
  t.equal(redactUrl('/a/'), '/a/')
  t.equal(redactUrl('/a/?token'), '/a/?token', 'a name without a value has nothing to hide')
})

t.test('password, token and access_token are not copied into next/previous links, nor so into the journal', async t => {
  const app = await build(t, { adminToken: TOKEN })
  const res = await app.inject({
    method: 'GET',
    url: `${LIST}?limit=1&offset=1&password=pw-link-1&token=tk-link-2&access_token=at-link-3&Api_Key=ak-link-4&archived=false`,
    headers: { authorization: ADMIN }
  })
  t.equal(res.statusCode, 200)
  const meta = res.json().meta
  t.equal(meta.next, '?archived=false&limit=1&offset=2')
  t.equal(meta.previous, '?archived=false&limit=1&offset=0')
  const journal = await journalText(app)
  for (const secret of ['pw-link-1', 'tk-link-2', 'at-link-3', 'ak-link-4']) {
    t.notOk(res.body.includes(secret), `the answer does not hold ${secret}`)
    t.notOk(journal.includes(secret), `the journal does not hold ${secret}`)
  }
})

t.test('an ApiKey header with key and username swapped is journaled without the key', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'ApiKey demo-api-key:admin@example.org' } })
  t.equal(res.statusCode, 401)
  const [entry] = (await app.inject({ method: 'GET', url: '/__mock/requests' })).json().requests
  t.equal(entry.request.headers.authorization, 'ApiKey [redacted]')
  t.equal(redactAuthorization('ApiKey admin@example.org:demo-api-key'), 'ApiKey admin@example.org:[redacted]', 'a username in its place stays')
  t.equal(redactAuthorization('ApiKey demo-api-key:admin@example.org'), 'ApiKey [redacted]')
  t.equal(redactAuthorization('apikey :k'), 'apikey [redacted]')
  t.equal(redactAuthorization('Digest username="pw-in-the-wrong-place", realm="commcarehq"'), 'Digest [redacted]')
  t.equal(redactAuthorization('Digest username="admin@example.org", response="ab"'), 'Digest username="admin@example.org", [redacted]')
  t.equal(redactAuthorization('demo-bearer-token'), '[redacted]')
})

t.test('an answer over the journal limit is redacted before it is cut', async t => {
  const app = await build(t)
  const filler = 'f'.repeat(JOURNAL_BODY_LIMIT + 100)
  const res = await app.inject({
    method: 'PUT',
    url: `/a/demo/api/v0.5/user/${JDOE}/`,
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    payload: { user_data: { password: 'ud-secret-1', token: 'ud-secret-2', zz_note: filler } }
  })
  t.equal(res.statusCode, 200)
  t.ok(res.body.includes('ud-secret-1'), 'user_data comes back as stored (it is the caller\'s data)')
  const [entry] = (await app.inject({ method: 'GET', url: '/__mock/requests' })).json().requests
  t.equal(entry.response.body_truncated, true)
  t.type(entry.response.body, 'string')
  t.equal(entry.response.body.length, JOURNAL_BODY_LIMIT)
  t.notMatch(entry.response.body, /ud-secret/)
  t.match(entry.response.body, /"password":"\[redacted\]"/)
})

t.test('a chunked request body is capped on the bytes read, not on Content-Length', async t => {
  const app = await build(t)
  const big = JSON.stringify({ first_name: 'Chunked', user_data: { note: 'c'.repeat(JOURNAL_BODY_LIMIT + 10) } })
  const res = await app.inject({
    method: 'PUT',
    url: `/a/demo/api/v0.5/user/${JDOE}/`,
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    payload: Readable.from([Buffer.from(big.slice(0, 1000)), Buffer.from(big.slice(1000))])
  })
  t.equal(res.statusCode, 200)
  const small = await app.inject({
    method: 'PUT',
    url: `/a/demo/api/v0.5/user/${JDOE}/`,
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    payload: Readable.from([Buffer.from('{"first_name": "Small", "password": "chunk-pw-1"}')])
  })
  t.equal(small.statusCode, 200)
  const [second, first] = (await app.inject({ method: 'GET', url: '/__mock/requests' })).json().requests
  t.equal(first.request.headers['content-length'], undefined, 'sent without Content-Length')
  t.equal(first.request.body, null)
  t.equal(first.request.body_truncated, true)
  t.same(second.request.body, { first_name: 'Small', password: '[redacted]' })
  t.equal(second.request.body_truncated, undefined)
})

t.test('a Location header is journaled with its secret parameters redacted', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user?username=admin@example.org&api_key=demo-api-key&limit=1' })
  t.equal(res.statusCode, 301)
  const [entry] = (await app.inject({ method: 'GET', url: '/__mock/requests' })).json().requests
  t.equal(entry.response.headers.location, '/a/demo/api/v0.5/user/?username=admin@example.org&api_key=[redacted]&limit=1')
  t.notOk(JSON.stringify(entry).includes('demo-api-key'))
})
