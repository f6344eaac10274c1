import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FileHandle } from 'node:fs/promises'
import { DomainSerializer } from '../../src/store/domain-file.js'
import { writeAll } from '../../src/store/atomic-file.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'
import { Store, domainFromSeed, readSeed } from '../../src/store/store.js'
import { buildApp } from '../../src/app.js'
import { ADMIN, AMINA, GROUP_NORTH, JDOE, SEED } from '../helpers/app.js'
import type { DomainDoc } from '../../src/store/schema.js'

// The snapshot is written in pieces; it must hold exactly what JSON.stringify
// of the memory would. The marks say what the next change record holds.

async function demoDoc (): Promise<DomainDoc> {
  const seed = await readSeed(SEED)
  return domainFromSeed('demo', seed.domains.demo)
}

t.test('the bytes equal JSON.stringify of the document', async t => {
  const doc = await demoDoc()
  const s = new DomainSerializer()
  t.equal(Buffer.concat(s.serialize(doc)).toString(), JSON.stringify(doc), 'first write')
  doc.users[0].first_name = 'Changed "quoted" é 😀'
  t.equal(Buffer.concat(s.serialize(doc)).toString(), JSON.stringify(doc), 'a change, marked or not, is in the next one')
  doc.users.push({ ...structuredClone(doc.users[0]), id: 'new-user', username: 'new@demo.commcarehq.org' })
  doc.groups[0].users.push('new-user')
  t.equal(Buffer.concat(s.serialize(doc)).toString(), JSON.stringify(doc), 'new users and group changes')
  doc.users = doc.users.slice(1)
  t.equal(Buffer.concat(s.serialize(doc)).toString(), JSON.stringify(doc), 'a removed user is gone')
  // Many users: several pieces, none of them the whole document.
  const many = { ...doc, users: Array.from({ length: 2500 }, (_, i) => ({ ...doc.users[0], id: `u${i}` })) }
  const pieces = s.serialize(many)
  t.ok(pieces.length >= 3, `${pieces.length} pieces`)
  t.equal(Buffer.concat(pieces).toString(), JSON.stringify(many))
})

t.test('key order and odd documents are kept as JSON.stringify has them', async t => {
  const doc = await demoDoc()
  const { users, ...rest } = doc
  const usersFirst = { users, ...rest } as DomainDoc
  t.equal(Buffer.concat(new DomainSerializer().serialize(usersFirst)).toString(), JSON.stringify(usersFirst), 'users first')
  const middle = { name: 'x', users: [], project_name: undefined, toggles: [] } as unknown as DomainDoc
  t.equal(Buffer.concat(new DomainSerializer().serialize(middle)).toString(), JSON.stringify(middle), 'no users, an undefined value')
  const only = { users } as unknown as DomainDoc
  t.equal(Buffer.concat(new DomainSerializer().serialize(only)).toString(), JSON.stringify(only), 'users alone')
})

t.test('the marks: anything at first and after changedAll, else the users named, each taken once', async t => {
  const doc = await demoDoc()
  const s = new DomainSerializer()
  t.equal(s.takeChanges(), null, 'a new serializer knows nothing: anything may have changed')
  t.same([...s.takeChanges()!], [], 'then nothing')
  s.changedUsers([doc.users[0], doc.users[1], doc.users[0]])
  t.same([...s.takeChanges()!], [doc.users[0], doc.users[1]])
  s.changedUsers([doc.users[2]])
  s.serialize(doc)
  t.same([...s.takeChanges()!], [doc.users[2]], 'serializing a snapshot leaves the marks for the next record')
  s.changedAll()
  s.changedUsers([doc.users[0]])
  t.equal(s.takeChanges(), null)
})

t.test('PUT, POST and a group change through the app: the disk equals memory', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'cchq-domain-file-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await Store.open({ seedPath: SEED, dataDir: dir })
  const app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  // What a restart would load: the snapshot with the change log replayed.
  const file = async (): Promise<string> => JSON.stringify(await readDomainOnDisk(dir, 'demo'))
  const memory = (): string => JSON.stringify(store.domain('demo')!.doc)
  const headers = { authorization: ADMIN, 'content-type': 'application/json' }

  const puts = await Promise.all([
    app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers, payload: { first_name: 'One', groups: [GROUP_NORTH] } }),
    app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers, payload: { last_name: 'Two', user_data: { chw_id: 'X' } } }),
    app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers, payload: { email: 'three@example.org' } })
  ])
  t.same(puts.map(r => r.statusCode), [200, 200, 200])
  t.equal(await file(), memory(), 'after concurrent PUTs')

  const created = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers, payload: { username: 'perf-new', password: 'pw', groups: [GROUP_NORTH] } })
  if (created.statusCode !== 405) {
    t.equal(created.statusCode, 201)
    t.equal(await file(), memory(), 'after a create')
  }

  const bad = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers, payload: { nonsense: 1 } })
  t.equal(bad.statusCode, 400)
  await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers, payload: { first_name: 'Four' } })
  t.equal(await file(), memory(), 'after a rejected PUT and another one')
})

t.test('writeAll finishes a write the system took only in part', async t => {
  const pieces = [Buffer.from('{"a":'), Buffer.from('[1,2,3]'), Buffer.from('}')]
  const file = Buffer.alloc(13)
  const calls: string[] = []
  const fh = {
    writev: async (bufs: Buffer[], position: number) => {
      calls.push(`writev ${bufs.length} at ${position}`)
      Buffer.concat(bufs).copy(file, position, 0, 4)
      return { bytesWritten: 4 }
    },
    write: async (buf: Buffer, offset: number, length: number, position: number) => {
      calls.push(`write ${length} at ${position}`)
      const n = Math.min(length, 5)
      buf.copy(file, position, offset, offset + n)
      return { bytesWritten: n }
    }
  }
  await writeAll(fh as unknown as FileHandle, pieces)
  t.equal(file.toString(), '{"a":[1,2,3]}')
  t.same(calls, ['writev 3 at 0', 'write 9 at 4', 'write 4 at 9'])
})
