import t from 'tap'
import { readFileSync } from 'node:fs'
import { runCli } from './cli-run.js'

// `commcare-hq-mock import|record|verify …` runs a command; plain flags still
// start (or configure) the server.

for (const [command, first] of [
  ['import', 'commcare-hq-mock import: make the mock look like your project space\n'],
  ['record', 'commcare-hq-mock record: record what a server answers to the built-in probes\n'],
  ['verify', "commcare-hq-mock verify: compare the mock's answers with a server's, answer by answer\n"]
]) {
  t.test(`${command} --help`, async t => {
    const run = await runCli([command, '--help'])
    t.equal(run.code, 0)
    t.equal(run.stderr, '')
    t.ok(run.stdout.startsWith(first), 'the command\'s own help')
    for (const flag of ['--url', '--domain', '--username', '--api-key', '--password-env', '--timeout']) t.ok(run.stdout.includes(flag), flag)
  })
}

t.test('a bad flag of a command exits 2 with the message and the command\'s help', async t => {
  const run = await runCli(['record', '--url', 'http://127.0.0.1:1', '--no-such-flag'])
  t.equal(run.code, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^commcare-hq-mock record: Unknown option '--no-such-flag'.*\n\ncommcare-hq-mock record: record what a server answers/s)
})

t.test('the target must be named: no default URL', async t => {
  const run = await runCli(['record', '--domain', 'demo', '--username', 'u', '--api-key', 'k'])
  t.equal(run.code, 2)
  t.match(run.stderr, /^commcare-hq-mock record: --url is required\n/)
})

t.test('plain flags still go to the server', async t => {
  const run = await runCli(['--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^commcare-hq-mock: an offline stand-in/)
})

t.test('every option docs/CHECK-AGAINST-HQ.md names is one the commands take', async t => {
  const doc = readFileSync(new URL('../../docs/CHECK-AGAINST-HQ.md', import.meta.url), 'utf8')
  const helps = (await Promise.all(['import', 'record', 'verify'].map(c => runCli([c, '--help'])))).map(r => r.stdout).join('\n')
  const named = [...new Set([...doc.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map(m => m[0]))]
  t.ok(named.length > 15)
  // The server's own flags the page mentions in passing.
  const serverFlags = ['--no-auth']
  for (const flag of named.filter(f => !serverFlags.includes(f))) {
    t.ok(helps.includes(flag), `${flag} is in a command's help`)
  }
})
