import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from './app.js'
import { BUNDLED_SEED } from './paths.js'
import { Store } from './store/store.js'
import type { SeedDomainInput } from './store/schema.js'
import type { DomainSummary, MockState } from './mock/control.js'
import type { FaultRule, FaultRuleInput } from './mock/faults.js'
import type { JournalEntry, JournalFilter } from './mock/journal.js'
import type { OutboxEmail, OutboxFilter } from './mock/outbox.js'
import { acceptInvitation, listInvitations, type AcceptedInvitation, type InvitationFilter, type MockInvitation } from './mock/invitations.js'

// The mock as an in-process test fixture: a real HTTP server on a free port,
// in memory by default, with the test-control API as plain functions.

export interface MockServerOptions extends Omit<AppOptions, 'store'> {
  /** Seed file (default: the bundled seed/default.json). */
  seed?: string
  /** Data directory; null (default) keeps everything in memory. */
  dataDir?: string | null
  /** fsync writes when a data directory is used (default true). */
  fsync?: boolean
  /** Address to listen on (default 127.0.0.1). */
  host?: string
  /** Port (default 0: any free one). */
  port?: number
  /** Keep the process alive while the server runs, as the command does (default false: a test process ends when its tests do). */
  keepAlive?: boolean
}

export interface MockServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string
  port: number
  app: FastifyInstance
  store: Store
  /** Everything back to the seed, or one domain back to its seed (or to what it was created with); the outbox (or that domain's e-mails) too. */
  reset: (domain?: string) => Promise<void>
  /** Journal entries, newest first (all that match unless `limit` is given). */
  requests: (filter?: JournalFilter) => JournalEntry[]
  /** Clears the journal, or only the entries that match the filter. */
  clearRequests: (filter?: Omit<JournalFilter, 'limit'>) => void
  /** The e-mails HQ would have sent, newest first; filters `domain`, `type`, `to` (case-insensitive), combined with AND. */
  outbox: (filter?: OutboxFilter) => OutboxEmail[]
  /** Removes the matching e-mails (all without a filter) and answers them, newest first. */
  clearOutbox: (filter?: OutboxFilter) => OutboxEmail[]
  /** Invitations of every domain (pending and accepted), oldest first; filters `domain`, `email`, `status`. */
  invitations: (filter?: InvitationFilter) => MockInvitation[]
  /** Accepts an invitation as its invitee would: the invitee becomes a member with the invited role (an account is made if none exists). */
  acceptInvitation: (id: string) => Promise<AcceptedInvitation>
  addFault: (rule: FaultRuleInput) => FaultRule
  faults: () => FaultRule[]
  clearFaults: () => void
  /** A new domain: a copy of an existing domain (by name) or built from a seed-domain object. */
  createDomain: (name: string, from: string | SeedDomainInput) => Promise<DomainSummary>
  deleteDomain: (name: string) => Promise<void>
  domains: () => DomainSummary[]
  exportState: () => MockState
  importState: (state: MockState) => Promise<void>
  close: () => Promise<void>
}

/**
 * Starts the mock in this process; `await server.close()` when done (or let
 * the process end: the server never keeps it alive and closes on the way out).
 */
export async function startMockServer (options: MockServerOptions = {}): Promise<MockServer> {
  const { seed, dataDir, fsync, host = '127.0.0.1', port = 0, keepAlive = false, ...appOptions } = options
  const store = await Store.open({ seedPath: seed ?? BUNDLED_SEED, dataDir: dataDir ?? null, fsync })
  let app: FastifyInstance
  try {
    app = await buildApp({ ...appOptions, store })
    await app.listen({ host, port })
  } catch (err) {
    await store.close()
    throw err
  }
  // A test that forgets close() must still end: the listening socket and every
  // connection to it are unref'd, so they alone do not keep the process alive
  // (a test runner then exits when its tests are done, instead of hanging or
  // waiting out the 72 s keep-alive of an idle connection). When nothing else
  // is left, 'beforeExit' closes the server and the store, so writes to a data
  // directory are finished and its lock is released; then the process exits.
  // `keepAlive: true` is for a script that is the server.
  if (!keepAlive) {
    app.server.unref()
    app.server.on('connection', socket => { socket.unref() })
  }
  const address = app.server.address()
  const actualPort = typeof address === 'object' && address !== null ? address.port : port
  const mock = app.mock
  let closed: Promise<void> | null = null
  const closeOnExit = (): void => {
    close().catch((err: unknown) => {
      process.exitCode ??= 1
      console.error('commcare-hq-mock: closing the server on exit failed:', err)
    })
  }
  if (!keepAlive) process.once('beforeExit', closeOnExit)
  const close = async (): Promise<void> => {
    closed ??= (async () => {
      process.removeListener('beforeExit', closeOnExit)
      await app.close()
      await store.close()
    })()
    return closed
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    port: actualPort,
    app,
    store,
    reset: async domain => {
      if (domain === undefined) await mock.resetAll()
      else await mock.resetDomain(domain)
    },
    requests: filter => structuredClone(mock.journal.list(filter)),
    clearRequests: filter => { mock.journal.remove(filter) },
    outbox: filter => structuredClone(mock.outbox.newestFirst(filter)),
    clearOutbox: filter => mock.outbox.take(filter),
    invitations: filter => listInvitations(store, filter),
    acceptInvitation: async id => acceptInvitation(store, id),
    addFault: rule => mock.faults.add(rule),
    faults: () => mock.faults.list(),
    clearFaults: () => mock.faults.clear(),
    createDomain: async (name, from) => mock.createDomain(name, typeof from === 'string' ? { from } : { seed: from }),
    deleteDomain: async name => mock.deleteDomain(name),
    domains: () => mock.listDomains(),
    exportState: () => mock.exportState(),
    importState: async state => { await mock.importState(state) },
    close
  }
}
