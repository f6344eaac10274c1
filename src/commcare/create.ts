import { randomBytes } from 'node:crypto'
import { randomHex } from './random.js'
import { HqError, badRequest, serverError } from './errors.js'
import { parseFlag, planCreateConfirmation, type WorkerEmail } from './confirmation.js'
import { applyUserChanges, jsonType, planUserUpdate, pyStr, setUserGroups, truthy, type UpdateContext, type UpdatePlan } from './users.js'
import type { DomainState } from '../store/domain.js'
import type { StoredUser } from '../store/schema.js'

// A mobile worker's life cycle outside PUT: create (BEHAVIOR.md §5, §5.1),
// retire, deactivate and activate (§6). Plain functions over a domain's state.

export const CONNECT_TOGGLE = 'COMMCARE_CONNECT'
export const RESERVED_USERNAMES = ['admin', 'demo_user']

/** CouchDB-style ids: 32 lowercase hex characters. */
export function newId (): string {
  return randomHex(16)
}

/** HQ's `format_username`: whitespace runs become '.', lowercased, domain appended. */
export function formatUsername (raw: string, domain: string): string {
  return `${raw.replace(/\s+/g, '.').toLowerCase()}@${domain}.commcarehq.org`
}

// Django's EmailValidator: a dot-atom (or quoted) local part and a hostname
// whose last label is 2–63 characters of letters, digits or '-'.
const DOT_ATOM = /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$/i
// eslint-disable-next-line no-control-regex -- Django's quoted local part allows control characters
const QUOTED = /^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0d-\x7f])*"$/i
const HOSTNAME = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})$/i

export function isValidEmail (value: string): boolean {
  if (value === '' || !value.includes('@') || value.length > 320) return false
  const at = value.lastIndexOf('@')
  const user = value.slice(0, at)
  const host = value.slice(at + 1)
  if (!DOT_ATOM.test(user) && !QUOTED.test(user)) return false
  if (host === 'localhost') return true
  return HOSTNAME.test(host) && !host.endsWith('-')
}

// HQ's BAD_MOBILE_USERNAME_REGEX is `[^A-Za-z0-9.+-_]`, where `+-_` is a range
// (0x2B–0x5F): so `/ = ? ^` pass and `! # $ % & ' * \` { } | ~` do not.
const BAD_MOBILE_USERNAME = /[^A-Za-z0-9.+-_]/

/**
 * `generate_mobile_username` + `validate_mobile_username`: the full username a
 * create would use, or the 400 HQ answers. A missing or non-string username
 * fails before HQ's validation, so 500.
 */
export function qualifyUsername (domain: DomainState, raw: unknown): string {
  if (raw === undefined) throw serverError("the body has no 'username': HQ reads it with body['username'], raises KeyError and answers 500")
  if (typeof raw !== 'string') throw serverError(`'username' is ${jsonType(raw)}, not a string: HQ fails while formatting it and answers 500`)
  const username = raw.includes('@') ? raw : formatUsername(raw, domain.name)
  if (!isValidEmail(username)) throw badRequest(`Username '${username}' must be a valid email address.`)
  const [local, emailDomain] = username.split('@')
  if (BAD_MOBILE_USERNAME.test(local)) {
    throw badRequest(`The username component '${local}' of '${username}' may not contain special characters.`)
  }
  const expected = `${domain.name}.commcarehq.org`
  if (emailDomain !== expected) throw badRequest(`The username email domain '@${emailDomain}' should be '@${expected}'.`)
  if (RESERVED_USERNAMES.includes(local)) {
    throw badRequest(`Username '${username}' is already taken or reserved.`, `'${local}' is a reserved username in HQ`)
  }
  const existing = domain.usersByUsername.get(username.toLowerCase())
  if (existing !== undefined) {
    throw badRequest(`Username '${username}' is already taken or reserved.`,
      existing.retired ? 'the username belonged to a retired mobile worker; HQ keeps retired usernames taken' : 'a mobile worker with this username exists')
  }
  return username
}

// Keys the create step consumes itself; the rest go through PUT's rules.
const CREATE_ONLY_KEYS = new Set(['username', 'password', 'connect_username', 'require_account_confirmation', 'send_confirmation_email_now'])

export interface CreatePlan {
  user: StoredUser
  /** Writes the new user (or, after a failure, only the retired record that keeps its username). */
  apply: () => void
  /** Field errors HQ collects and then discards on create. */
  ignored: string[]
  /** The confirmation e-mail due once the user exists. */
  email: WorkerEmail | null
  /**
   * Set when the update step failed after HQ had already made the user: HQ
   * retires it, so `apply()` keeps only a retired record (the username stays
   * taken) and this error is the answer.
   */
  failure: HqError | null
}

/** `user_data.commcare_profile` must name a profile of the domain, before anything is made ([R2 §B.7]). */
function checkProfile (domain: DomainState, body: Record<string, unknown>): void {
  const userData = Object.hasOwn(body, 'user_data') ? body.user_data : {}
  if (typeof userData !== 'object' || userData === null || Array.isArray(userData)) {
    throw serverError(`'user_data' is ${jsonType(userData)}, not an object: HQ calls .get('commcare_profile') on it and answers 500`)
  }
  const profile = (userData as Record<string, unknown>).commcare_profile
  if (truthy(profile) && domain.profilesById.get(pyStr(profile)) === undefined) {
    throw badRequest('User data profile not found', `user_data.commcare_profile '${pyStr(profile)}' is not a profile of domain '${domain.name}'; nothing was created`)
  }
}

/** A password no one knows: HQ gives an account awaiting confirmation `generate_strong_password()`. */
function unknownPassword (): string {
  return randomBytes(24).toString('base64url')
}

/**
 * Validates a POST body in HQ's order and prepares the new user. Nothing is
 * changed until `apply()` runs, so an error raised before HQ makes the user
 * leaves no trace; one raised by the update step after it is `failure`.
 */
export function planCreate (ctx: UpdateContext, body: Record<string, unknown>): CreatePlan {
  const { domain } = ctx
  const username = qualifyUsername(domain, body.username)
  const require = parseFlag('require_account_confirmation', body.require_account_confirmation)
  const sendNow = parseFlag('send_confirmation_email_now', body.send_confirmation_email_now)
  const connect = body.connect_username
  if (truthy(connect) && !domain.hasToggle(CONNECT_TOGGLE)) {
    throw badRequest("You don't have permission to use connect_username field", `domain '${domain.name}' lacks the ${CONNECT_TOGGLE} toggle`)
  }
  checkProfile(domain, body)
  const email = Object.hasOwn(body, 'email') ? body.email : ''
  if (typeof email !== 'string') throw serverError(`'email' is ${jsonType(email)}: HQ calls .lower() on it and answers 500`)
  const password = body.password
  const confirmation = planCreateConfirmation(domain, require, sendNow, email.toLowerCase(), truthy(password))
  if (confirmation === null) {
    if (!truthy(password) && !truthy(connect)) throw badRequest('Password or connect username required')
    if (truthy(password) && typeof password !== 'string') {
      throw serverError(`'password' is ${jsonType(password)}, not a string: HQ fails while setting it and answers 500`)
    }
  }
  if (truthy(connect) && typeof connect !== 'string') {
    throw serverError(`'connect_username' is ${jsonType(connect)}, not a string: HQ fails while linking it and answers 500`)
  }

  const user: StoredUser = {
    id: newId(),
    username,
    first_name: '',
    last_name: '',
    email: email.toLowerCase(),
    language: null,
    phone_numbers: [],
    groups: [],
    locations: [],
    primary_location: null,
    user_data: {},
    profile_id: null,
    role: null,
    is_active: true,
    password_hash: null,
    connect_username: truthy(connect) ? connect as string : null,
    retired: false
  }
  // A null prototype: a '__proto__' key in the body stays a plain key here.
  const rest: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(body)) if (!CREATE_ONLY_KEYS.has(k)) rest[k] = v
  let plan: UpdatePlan
  try {
    plan = planUserUpdate(ctx, user, rest)
  } catch (err) {
    if (!(err instanceof HqError)) throw err
    return reservedOnly(domain, user, err)
  }
  if (confirmation !== null) {
    // An account awaiting confirmation is "similar to a deactivated account": listed only with archived=true.
    plan.changes.password = unknownPassword()
    user.is_active = false
    user.is_account_confirmed = false
  } else if (truthy(password)) {
    plan.changes.password = password as string
  }
  return {
    user,
    ignored: plan.errors,
    email: confirmation?.sendEmail === true ? { type: 'account_confirmation', to: user.email, user_id: user.id } : null,
    failure: null,
    apply: () => {
      domain.addUser(user)
      applyUserChanges(domain, user, plan.changes)
    }
  }
}

/** HQ made the user, its update failed, and HQ retired it: only the username remains taken. */
function reservedOnly (domain: DomainState, user: StoredUser, err: HqError): CreatePlan {
  user.retired = true
  const reason = `${err.reason.replace(/(;|,? and) nothing was changed$/, '')}; HQ had already made the worker and retires it, so the username '${user.username}' stays taken`
  return {
    user,
    ignored: [],
    email: null,
    failure: new HqError(err.status, err.body, reason, err.headers),
    apply: () => domain.addUser(user)
  }
}

/** DELETE: the user leaves list and detail, keeps its username, leaves its groups. */
export function retireUser (domain: DomainState, user: StoredUser): void {
  setUserGroups(domain, user, [])
  user.retired = true
  domain.usersChanged()
}

export function setActive (domain: DomainState, user: StoredUser, active: boolean): void {
  user.is_active = active
  domain.usersChanged()
}

/** activate/ and deactivate/ of an unknown id: tastypie's NotFound → 404 with the canned body. */
export function missingUserForAction (id: string, action: string): HqError {
  return new HqError(404, { kind: 'canned' }, `no mobile worker '${id}' in this domain to ${action}: HQ raises NotFound, answered 404 with its canned body`)
}
