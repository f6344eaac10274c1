import { Type, type Static } from '@sinclair/typebox'
import { MockApiError } from '../http/errors.js'
import type { RateLimiter } from '../commcare/rate-limit.js'
import { copyDomainDoc, domainFromSeed, type Store } from '../store/store.js'
import { DiskError } from '../store/errors.js'
import { DOMAIN_NAME_PATTERN, type DomainDoc, type SeedDomainInput } from '../store/schema.js'
import { domainDocProblems, seedDomainProblems } from '../store/validate.js'
import type { Journal } from './journal.js'
import type { Faults } from './faults.js'
import type { Outbox } from './outbox.js'

// State control behind /__mock/*: reset, domains created on the fly, export
// and import. The routes and the in-process fixture both use it.

export interface DomainSummary {
  name: string
  project_name: string
  /** Mobile workers, deactivated ones included (retired ones are gone). */
  users: number
  groups: number
  /** True when the seed defines a domain of this name. */
  seeded: boolean
}

/** The state as exported: every domain's document. Web users come from the seed and are not part of it. */
export interface MockState {
  format: 1
  domains: Record<string, DomainDoc>
}

export const MockStateSchema = Type.Object({
  format: Type.Literal(1),
  domains: Type.Record(Type.String(), Type.Unknown())
}, { additionalProperties: false })

export type DomainSource = { from: string } | { seed: SeedDomainInput }

export const CreateDomainSchema = Type.Object({
  name: Type.String(),
  from: Type.Optional(Type.String()),
  seed: Type.Optional(Type.Unknown())
}, { additionalProperties: false })
export type CreateDomainBody = Static<typeof CreateDomainSchema>

/** A store write whose disk failure becomes the test-control API's 500. */
export async function onDisk<T> (work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof DiskError) throw new MockApiError(500, `${err.message}; the change was not kept`)
    throw err
  }
}

export class MockControl {
  /** What each domain created on the fly (or imported) was created with: its reset point. */
  private readonly origins = new Map<string, DomainDoc>()

  constructor (
    readonly store: Store,
    readonly journal: Journal,
    readonly faults: Faults,
    private readonly rateLimiter: RateLimiter,
    /** The e-mails HQ would have sent; the same outbox as `app.ctx.outbox`. */
    readonly outbox: Outbox
  ) {}

  private isSeeded (name: string): boolean {
    return this.store.seedDomainNames().includes(name)
  }

  summary (name: string): DomainSummary {
    const state = this.store.domain(name)
    if (state === undefined) throw new MockApiError(404, `there is no domain '${name}'`)
    return {
      name,
      project_name: state.doc.project_name,
      users: state.sortedUsers().length,
      groups: state.doc.groups.length,
      seeded: this.isSeeded(name)
    }
  }

  listDomains (): DomainSummary[] {
    return this.store.domainNames().map(n => this.summary(n))
  }

  /** Everything back to the seed: domains, rate-limit windows, journal, fault rules and outbox. */
  async resetAll (): Promise<void> {
    await onDisk(() => this.store.resetAll())
    this.origins.clear()
    this.rateLimiter.reset()
    this.journal.clear()
    this.faults.clear()
    this.outbox.clear()
  }

  /**
   * One domain back to its seed (or to what it was created with), with its
   * rate-limit window, its journal entries, the fault rules scoped to it and
   * its e-mails in the outbox. Other domains are untouched.
   */
  async resetDomain (name: string): Promise<DomainSummary> {
    const origin = this.origins.get(name)
    const state = this.store.domain(name)
    if (origin !== undefined && state !== undefined) {
      state.replace(structuredClone(origin))
      await onDisk(() => this.store.persist(state))
    } else if (this.isSeeded(name)) {
      await onDisk(() => this.store.resetDomain(name))
    } else {
      throw new MockApiError(404, `there is no domain '${name}' to reset`)
    }
    this.rateLimiter.reset(name)
    this.journal.remove({ domain: name })
    this.faults.removeDomain(name)
    this.outbox.clear({ domain: name })
    return this.summary(name)
  }

  /** A new domain: a copy of an existing one (`from`) or built from a seed-domain object (`seed`). */
  async createDomain (name: string, source: DomainSource | CreateDomainBody): Promise<DomainSummary> {
    if (typeof name !== 'string' || !DOMAIN_NAME_PATTERN.test(name)) {
      throw new MockApiError(400, `name must match ${DOMAIN_NAME_PATTERN.source} (lower-case letters, digits and '-', at most 63), not ${JSON.stringify(name)}`)
    }
    const from = (source as { from?: unknown }).from
    const seed = (source as { seed?: unknown }).seed
    if ((from === undefined) === (seed === undefined)) {
      throw new MockApiError(400, 'give exactly one of from (a domain to copy) or seed (a domain object in the seed file\'s shape)')
    }
    if (this.store.domain(name) !== undefined) throw new MockApiError(409, `there is already a domain '${name}'`)
    let doc: DomainDoc
    if (from !== undefined) {
      if (typeof from !== 'string') throw new MockApiError(400, 'from must be a domain name')
      const source = this.store.domain(from)
      if (source === undefined) throw new MockApiError(400, `there is no domain '${from}' to copy`)
      doc = copyDomainDoc(source.doc, name)
    } else {
      // A domain that names no members has every web user as an admin (docs/SEED.md).
      const admins = this.store.webUsers().map(w => w.username)
      const problems = seedDomainProblems(seed, 'seed', name, admins)
      if (problems.length > 0) throw new MockApiError(400, `invalid seed: ${problems.join('; ')}`, problems)
      doc = domainFromSeed(name, seed as SeedDomainInput, admins)
    }
    const problems = domainDocProblems(doc, name)
    if (problems.length > 0) throw new MockApiError(400, `the new domain would be invalid: ${problems.join('; ')}`, problems)
    const origin = structuredClone(doc)
    await onDisk(() => this.store.createDomain(doc))
    this.origins.set(name, origin)
    this.rateLimiter.reset(name)
    return this.summary(name)
  }

  /** Removes a domain with its fault rules and its e-mails in the outbox; its journal entries stay. */
  async deleteDomain (name: string): Promise<void> {
    const removed = await onDisk(() => this.store.deleteDomain(name))
    if (!removed) throw new MockApiError(404, `there is no domain '${name}'`)
    this.origins.delete(name)
    this.rateLimiter.reset(name)
    this.faults.removeDomain(name)
    this.outbox.clear({ domain: name })
  }

  /** The domains' documents only: the journal, fault rules and outbox are not part of the state. */
  exportState (): MockState {
    return { format: 1, domains: this.store.exportState().domains }
  }

  /**
   * Replaces every domain with the imported ones (domains not in the import are
   * removed). Imported domains that the seed does not define reset to their
   * imported content; seeded ones still reset to the seed. The journal, the
   * fault rules and the outbox are kept as they are.
   */
  async importState (input: unknown): Promise<DomainSummary[]> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new MockApiError(400, 'the state must be a JSON object {format: 1, domains: {…}}')
    const body = input as Record<string, unknown>
    if (Object.hasOwn(body, 'web_users')) {
      throw new MockApiError(400, 'web_users are not imported: web users, their passwords and API keys always come from the seed; send {format: 1, domains: {…}} as GET /__mock/state gives it')
    }
    const extra = Object.keys(body).filter(k => k !== 'format' && k !== 'domains')
    if (extra.length > 0) throw new MockApiError(400, `unknown key '${extra[0]}'; the state is {format: 1, domains: {…}}`)
    if (body.format !== 1) throw new MockApiError(400, 'format must be 1')
    const domains = body.domains
    if (typeof domains !== 'object' || domains === null || Array.isArray(domains)) throw new MockApiError(400, 'domains must be an object of domain name to domain document')
    const problems: string[] = []
    for (const [name, doc] of Object.entries(domains)) {
      if (!DOMAIN_NAME_PATTERN.test(name)) problems.push(`domains: '${name}' is not a valid domain name`)
      else problems.push(...domainDocProblems(doc, name).map(p => `domains/${name}: ${p}`))
      if (problems.length >= 10) break
    }
    if (problems.length > 0) throw new MockApiError(400, `invalid state: ${problems.join('; ')}`, problems)
    const docs = structuredClone(domains as Record<string, DomainDoc>)
    await onDisk(() => this.store.importState({ format: 1, web_users: structuredClone(this.store.webUsers()), domains: docs }))
    this.origins.clear()
    for (const [name, doc] of Object.entries(docs)) {
      if (!this.isSeeded(name)) this.origins.set(name, structuredClone(doc))
    }
    this.rateLimiter.reset()
    return this.listDomains()
  }
}
