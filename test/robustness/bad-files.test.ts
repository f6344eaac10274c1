import t from 'tap'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runToExit, startProcess } from '../helpers/process.js'
import { SEED } from '../helpers/app.js'
import { stop, tempDir } from './support.js'

// A data or seed file that does not parse or does not match the schema stops the
// server with a message naming the file and the problem; the file is left as it was.

interface Case {
  name: string
  /** Which file to spoil: relative to the data directory, or 'seed'. */
  file: 'global.json' | 'domains/demo.json' | 'seed'
  spoil: (text: string) => string
  problem: RegExp
}

const CASES: Case[] = [
  { name: 'global.json truncated', file: 'global.json', spoil: s => s.slice(0, Math.floor(s.length / 2)), problem: /not valid JSON/ },
  { name: 'global.json empty', file: 'global.json', spoil: () => '', problem: /not valid JSON/ },
  { name: 'global.json wrong format', file: 'global.json', spoil: s => JSON.stringify({ ...JSON.parse(s), format: 2 }), problem: /\/format/ },
  { name: 'global.json web user without password', file: 'global.json', spoil: s => { const d = JSON.parse(s); delete d.web_users[0].password; return JSON.stringify(d) }, problem: /web_users\/0/ },
  { name: 'domain file with garbage appended', file: 'domains/demo.json', spoil: s => s + '\n}}garbage', problem: /not valid JSON/ },
  { name: 'domain file with NUL bytes', file: 'domains/demo.json', spoil: s => '\0'.repeat(64) + s.slice(64), problem: /not valid JSON/ },
  { name: 'domain file with users not a list', file: 'domains/demo.json', spoil: s => JSON.stringify({ ...JSON.parse(s), users: 'nobody' }), problem: /\/users/ },
  { name: 'domain file with a dangling group member', file: 'domains/demo.json', spoil: s => { const d = JSON.parse(s); d.groups[0].users.push('no-such-user'); return JSON.stringify(d) }, problem: /unknown user 'no-such-user'/ },
  { name: 'domain file named differently from its domain', file: 'domains/demo.json', spoil: s => JSON.stringify({ ...JSON.parse(s), name: 'other' }), problem: /does not match the file name/ },
  { name: 'seed not JSON', file: 'seed', spoil: s => s.replace('{', '{,'), problem: /not valid JSON/ },
  { name: 'seed with an invalid domain name', file: 'seed', spoil: s => { const d = JSON.parse(s); d.domains['Bad Name!'] = d.domains.demo; return JSON.stringify(d) }, problem: /domains/ },
  { name: 'seed with a user missing its username', file: 'seed', spoil: s => { const d = JSON.parse(s); delete d.domains.demo.users[0].username; return JSON.stringify(d) }, problem: /username/ }
]

t.test('bad data and seed files stop the server, named, untouched', async t => {
  // One data directory made by a real start, copied for each case.
  const pristine = join(await tempDir(t), 'data')
  await stop(await startProcess(['--data', pristine]))
  for (const c of CASES) {
    const dir = await tempDir(t)
    const data = join(dir, 'data')
    const seed = join(dir, 'seed.json')
    await writeFile(seed, await readFile(SEED))
    if (c.file !== 'seed') await cp(pristine, data, { recursive: true })
    const path = c.file === 'seed' ? seed : join(data, c.file)
    const spoiled = Buffer.from(c.spoil(await readFile(path, 'utf8')), 'utf8')
    await writeFile(path, spoiled)

    const { code, output } = await runToExit(['--data', data, '--seed', seed])
    t.equal(code, 1, `${c.name}: exit code 1`)
    t.match(output, path, `${c.name}: the message names the file`)
    t.match(output, c.problem, `${c.name}: and the problem`)
    t.notMatch(output, /listening on/, `${c.name}: it never listened`)
    t.ok((await readFile(path)).equals(spoiled), `${c.name}: the file is byte-identical afterwards`)
  }
})
