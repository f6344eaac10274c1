import { randomUUID } from 'node:crypto'

// The e-mails HQ would send (BEHAVIOR.md §14), recorded instead of sent.
// Nothing leaves the machine. Kept in memory, newest last, bounded.

export type EmailType = 'account_confirmation' | 'password_reset' | 'invitation'

export const EMAIL_TYPES: readonly EmailType[] = ['account_confirmation', 'password_reset', 'invitation']

export interface OutboxEmail {
  id: string
  type: EmailType
  domain: string
  to: string
  /** The mobile worker the e-mail is about (confirmation, password reset). */
  user_id?: string
  /** The invitation the e-mail carries. */
  invitation_id?: string
  /** When it was recorded, ISO 8601 UTC. */
  time: string
}

export interface OutboxFilter {
  domain?: string
  type?: EmailType
  /** Recipient address, compared case-insensitively. */
  to?: string
}

export function isEmailType (value: unknown): value is EmailType {
  return typeof value === 'string' && (EMAIL_TYPES as readonly string[]).includes(value)
}

export type OutboxInput = Omit<OutboxEmail, 'id' | 'time'>

export const DEFAULT_OUTBOX_SIZE = 1000

export class Outbox {
  private emails: OutboxEmail[] = []

  constructor (readonly capacity = DEFAULT_OUTBOX_SIZE) {}

  /** Records one e-mail; the oldest is dropped past the capacity. */
  record (input: OutboxInput): OutboxEmail {
    const email: OutboxEmail = { id: randomUUID(), ...input, time: new Date().toISOString() }
    this.emails.push(email)
    if (this.emails.length > this.capacity) this.emails.splice(0, this.emails.length - this.capacity)
    return email
  }

  /** E-mails that match the filter, oldest first. */
  list (filter: OutboxFilter = {}): OutboxEmail[] {
    const to = filter.to?.toLowerCase()
    return this.emails.filter(e =>
      (filter.domain === undefined || e.domain === filter.domain) &&
      (filter.type === undefined || e.type === filter.type) &&
      (to === undefined || e.to.toLowerCase() === to))
  }

  /** E-mails that match the filter, newest first (the order of the test-control API). */
  newestFirst (filter: OutboxFilter = {}): OutboxEmail[] {
    return this.list(filter).reverse()
  }

  /** Removes the e-mails that match the filter (all without one); answers them, newest first. */
  take (filter: OutboxFilter = {}): OutboxEmail[] {
    const gone = this.list(filter)
    if (gone.length === 0) return gone
    const set = new Set(gone)
    this.emails = this.emails.filter(e => !set.has(e))
    return gone.reverse()
  }

  /** Removes the e-mails that match the filter (all without one); answers how many went. */
  clear (filter: OutboxFilter = {}): number {
    return this.take(filter).length
  }

  get size (): number {
    return this.emails.length
  }
}

/** The `X-Mock-Email` text naming an e-mail: `<type> → <address>`. */
export function emailLabel (email: Pick<OutboxEmail, 'type' | 'to'>): string {
  return `${email.type} → ${email.to}`
}

/**
 * The same as a header value: the UTF-8 bytes of the label, one byte a
 * character (Node sends header strings as latin1), so the wire carries
 * UTF-8 `→`. Control characters in an address become '?'.
 */
export function emailHeader (email: Pick<OutboxEmail, 'type' | 'to'>): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must go
  return Buffer.from(emailLabel(email).replace(/[\x00-\x1f\x7f]/g, '?'), 'utf8').toString('latin1')
}

/** The text of an `X-Mock-Email` value as sent (UTF-8 bytes read as latin1): `<type> → <address>`. */
export function emailHeaderText (value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8')
}
