import t from 'tap'
import { compareResponses, type Side } from '../../src/verify/compare.js'
import type { RecordedResponse } from '../../src/verify/transcript.js'

// The comparison of two answers: what counts as drift, what is normalized.

const sides: { recorded: Side, mock: Side } = {
  recorded: { base: 'https://www.commcarehq.org', vars: { created_id: 'aaaa0000aaaa0000aaaa0000aaaa0000', created_username: 'hq-mock-verify-1111111111' } },
  mock: { base: 'http://127.0.0.1:4000', vars: { created_id: 'bbbb1111bbbb1111bbbb1111bbbb1111', created_username: 'hq-mock-verify-2222222222' } }
}

function json (status: number, body: unknown, headers: RecordedResponse['headers'] = { 'content-type': 'application/json; charset=utf-8' }): RecordedResponse {
  return { status, headers, body_kind: 'json', body }
}

t.test('volatile values are normalized on each side', async t => {
  const a = json(200, {
    id: 'aaaa0000aaaa0000aaaa0000aaaa0000',
    username: 'hq-mock-verify-1111111111@demo.commcarehq.org',
    last_modified: '2026-01-02T03:04:05.123456',
    parent: 'https://www.commcarehq.org/a/demo/api/v0.5/location/x/'
  }, { 'content-type': 'application/json; charset=utf-8', location: 'https://www.commcarehq.org/a/demo/api/v0.5/user/aaaa0000aaaa0000aaaa0000aaaa0000/' })
  const b = json(200, {
    id: 'bbbb1111bbbb1111bbbb1111bbbb1111',
    username: 'hq-mock-verify-2222222222@demo.commcarehq.org',
    last_modified: '2025-12-31T23:59:59.000001',
    parent: 'http://127.0.0.1:4000/a/demo/api/v0.5/location/x/'
  }, { 'content-type': 'application/json;charset=utf-8', location: 'http://127.0.0.1:4000/a/demo/api/v0.5/user/bbbb1111bbbb1111bbbb1111bbbb1111/' })
  t.same(compareResponses(a, b, '§3', sides), [])
  const nonce = (n: string): RecordedResponse => ({ status: 401, headers: { 'www-authenticate': `Digest realm="commcarehq", nonce="${n}", qop="auth"` }, body_kind: 'empty', body: null })
  t.same(compareResponses(nonce('abc'), nonce('xyz'), '§2', sides), [])
})

t.test('a timestamp keeps its form: microseconds or not is drift', async t => {
  const drift = compareResponses(json(200, { t: '2026-01-02T03:04:05.123456' }), json(200, { t: '2026-01-02T03:04:05' }), '§9.2', sides)
  t.same(drift, [{ aspect: 'value', where: 't', rule: '§9.2', recorded: '<timestamp.micro>', mock: '<timestamp>' }])
})

t.test('status, headers, key sets and order, types, messages and paging are each named', async t => {
  const a = json(400, { error: "Invalid limit 'x' provided. Please provide a positive integer." }, { 'content-type': 'application/json' })
  const b = json(400, { error: "Invalid limit 'x'." }, { 'content-type': 'application/json' })
  t.same(compareResponses(a, b, '§7', sides), [{ aspect: 'message', where: 'error', rule: '§7', recorded: "Invalid limit 'x' provided. Please provide a positive integer.", mock: "Invalid limit 'x'." }])

  const page = (next: string | null, keys: Record<string, unknown>): RecordedResponse => json(200, { meta: { limit: 2, next }, objects: [keys] })
  t.same(compareResponses(page('?limit=2&offset=2', { a: 1, b: '2' }), page('/a/demo/api/v0.5/user/?limit=2&offset=2', { b: 2, a: 1 }), '§7', sides), [
    { aspect: 'paging', where: 'meta.next', rule: '§7', recorded: '?limit=2&offset=2', mock: '/a/demo/api/v0.5/user/?limit=2&offset=2' },
    { aspect: 'key order', where: 'objects[0]', rule: '§7', recorded: ['a', 'b'], mock: ['b', 'a'] },
    { aspect: 'type', where: 'objects[0].b', rule: '§7', recorded: 'string', mock: 'number' }
  ])

  const gone = compareResponses(json(200, { a: 1, b: 2 }), json(200, { a: 1, c: 3 }), '§3', sides)
  t.same(gone, [{ aspect: 'keys', where: '(body)', rule: '§3', recorded: ['a', 'b'], mock: ['a', 'c'], detail: 'only the target has b; only the mock has c' }])

  const moved: RecordedResponse = { status: 301, headers: { location: '/a/demo/api/v0.5/user/' }, body_kind: 'empty', body: null }
  const served = json(200, { ok: true })
  t.same(compareResponses(moved, served, '§1', sides), [
    { aspect: 'status', where: 'status', rule: '§1', recorded: 301, mock: 200 },
    { aspect: 'content-type', where: 'content-type', rule: '§1', recorded: null, mock: 'application/json;charset=utf-8' },
    { aspect: 'header', where: 'location', rule: '§1', recorded: '/a/demo/api/v0.5/user/', mock: null },
    { aspect: 'body', where: '(body)', rule: '§1', recorded: 'an empty body', mock: 'JSON: {"ok":true}' }
  ])

  const allow = (v: string): RecordedResponse => ({ status: 405, headers: { allow: v }, body_kind: 'text', body: v })
  t.same(compareResponses(allow('GET, POST'), allow('GET, POST, PUT'), '§1', sides).map(d => [d.aspect, d.where, d.rule]), [['header', 'allow', '§1'], ['message', '(body)', '§1']])
})
