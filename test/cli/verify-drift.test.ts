import t from 'tap'
import { join } from 'node:path'
import { recordFrom, server, tempDir, verifyAgainst } from './cli-run.js'

// A target started differently from the mock: `verify` reports each
// difference with its request, both answers and the BEHAVIOR.md rule, and
// exits 1.

const [mock, merge, slashless, open] = await Promise.all([
  server(t, []),
  server(t, ['--user-data', 'merge']),
  server(t, ['--slashless', 'serve']),
  server(t, ['--no-auth'])
])

t.test('a target started differently: every difference with its request, both answers and the rule; exit 1', async t => {
  const dir = tempDir(t)

  await t.test('--user-data merge', async t => {
    await recordFrom(t, merge.url, dir, 'merge')
    const { code, stdout, report } = await verifyAgainst(t, join(dir, 'merge.json'), mock.url, dir, 'merge')
    t.equal(code, 1)
    const r = report.results.find(x => x.name === 'PUT: user_data, second (replace or merge)')!
    t.equal(r.request.method, 'PUT')
    t.match(r.request.path, /^\/a\/demo\/api\/v0\.5\/user\/[0-9a-f]{32}\/$/)
    t.same(r.drifts.map(d => [d.aspect, d.where, d.rule, d.detail]), [['keys', 'user_data', '§4', 'only the target has hq_mock_verify_a']])
    t.equal(r.drifts[0].rule_name, 'BEHAVIOR.md §4 (PUT — edit a mobile worker)')
    t.same((r.recorded!.body as { user_data: object }).user_data, { chw_id: '', commcare_profile: '', commcare_project: 'demo', hq_mock_verify_a: 'one', hq_mock_verify_b: 'two' })
    t.same((r.mock!.body as { user_data: object }).user_data, { chw_id: '', commcare_profile: '', commcare_project: 'demo', hq_mock_verify_b: 'two' })
    t.match(stdout, /^PUT: user_data, second \(replace or merge\) +§4 +200 +200 +DRIFT \(1\)$/m)
    t.match(stdout, /- PUT: user_data, second \(replace or merge\): PUT \/a\/demo\/api\/v0\.5\/user\/[0-9a-f]{32}\/ \(credentials: caller\)\n {4}keys at user_data: only the target has hq_mock_verify_a — BEHAVIOR\.md §4 \(PUT — edit a mobile worker\)\n/)
    t.ok(report.results.filter(x => x.drifts.length > 0).every(x => x.drifts.every(d => d.where.startsWith('user_data'))), 'nothing else differs')
  })

  await t.test('--slashless serve', async t => {
    await recordFrom(t, slashless.url, dir, 'slashless')
    const { code, report } = await verifyAgainst(t, join(dir, 'slashless.json'), mock.url, dir, 'slashless')
    t.equal(code, 1)
    const r = report.results.find(x => x.name === 'routes: list URL without trailing slash')!
    t.same(r.request, { method: 'GET', path: '/a/demo/api/v0.5/user', query: 'limit=1', auth: 'caller' })
    t.same(r.status, { recorded: 200, mock: 301 })
    t.same(r.drifts.find(d => d.where === 'location'), { aspect: 'header', where: 'location', rule: '§1', recorded: null, mock: '/a/demo/api/v0.5/user/?limit=1', rule_name: 'BEHAVIOR.md §1 (Routes)' })
    t.equal(r.mock!.body_kind, 'empty')
    t.equal(r.recorded!.body_kind, 'json')
    const drifting = report.results.filter(x => x.drifts.length > 0).map(x => x.name)
    t.same(drifting, [
      'routes: list URL without trailing slash',
      'routes: detail URL without trailing slash',
      'routes: identity URL without trailing slash',
      'create: list URL without trailing slash',
      'PUT: URL without trailing slash',
      'throwaway: detail after the PUTs',
      'throwaway: detail while deactivated'
    ])
  })

  await t.test('--no-auth', async t => {
    await recordFrom(t, open.url, dir, 'open')
    const { code, stdout, report } = await verifyAgainst(t, join(dir, 'open.json'), mock.url, dir, 'open')
    t.equal(code, 1)
    const r = report.results.find(x => x.name === 'auth: no credentials')!
    t.same(r.request, { method: 'GET', path: '/a/demo/api/v0.5/user/', query: 'limit=1', auth: 'none' })
    t.same(r.drifts[0], { aspect: 'status', where: 'status', rule: '§2', recorded: 200, mock: 401, rule_name: 'BEHAVIOR.md §2 (Authentication and permission)' })
    t.match(r.drifts.find(d => d.where === 'www-authenticate')!.mock, /^Digest realm="[^"]*", nonce="<nonce>"/)
    t.same(report.by_rule['§2'] > 0, true)
    const drifting = report.results.filter(x => x.drifts.length > 0).map(x => x.name)
    t.same(drifting, [
      'auth: no credentials',
      'auth: wrong API key',
      'auth: ApiKey header without a colon',
      'auth: wrong Basic password',
      'auth: identity without credentials',
      'auth: user_domains with a wrong key'
    ])
    t.match(stdout, /\nDrift: \d+ differences in 6 of \d+ answers \(§2: \d+, §8: \d+\); 0 skipped\.\n/)
  })
})
