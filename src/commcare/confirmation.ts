import { badRequest, notFoundCanned, serverError } from './errors.js'
import { hasPrivilege, TWO_STAGE_PRIVILEGE } from './roles.js'
import type { DomainState } from '../store/domain.js'
import type { StoredUser } from '../store/schema.js'

// Two-stage account confirmation and password-reset e-mails (BEHAVIOR.md §5.1
// and §6, [R2 §B.4, §B.6]). HQ sends these e-mails; the rules here only decide
// whether one is due and to whom. The caller records it (the mock's outbox).

export type WorkerEmailType = 'account_confirmation' | 'password_reset'

/** An e-mail HQ would send about a mobile worker. */
export interface WorkerEmail {
  type: WorkerEmailType
  to: string
  user_id: string
}

const TRUE_WORDS = ['true', 't', 'yes', 'y', '1']
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0']

/**
 * HQ's `string_to_boolean` on a confirmation flag: JSON booleans, null (false)
 * and the words `true t yes y 1` / `false f no n 0` in any case; an absent key
 * is false. Anything else raises outside every handler in HQ, so 500.
 */
export function parseFlag (key: string, value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase()
    if (TRUE_WORDS.includes(word)) return true
    if (FALSE_WORDS.includes(word)) return false
  }
  throw serverError(`'${key}' is not a boolean HQ's string_to_boolean understands; it raises ValueError and answers 500`)
}

/** Whether the two-stage rules apply at all (without the privilege HQ drops both flags). */
export function twoStageEnabled (domain: DomainState): boolean {
  return hasPrivilege(domain, TWO_STAGE_PRIVILEGE)
}

export interface CreateConfirmation {
  /** The worker is created unconfirmed (stored inactive, with no password of the caller's). */
  unconfirmed: boolean
  /** A confirmation e-mail is due once the worker exists. */
  sendEmail: boolean
}

/**
 * POST's two-stage checks, in HQ's order (`validate_new_user_input`). Null when
 * the normal path applies: no privilege, or neither flag set. `passwordGiven`
 * is Python's truthiness of the body's `password`.
 */
export function planCreateConfirmation (domain: DomainState, require: boolean, sendNow: boolean, email: string, passwordGiven: boolean): CreateConfirmation | null {
  if (!twoStageEnabled(domain) || (!require && !sendNow)) return null
  if (require && email === '') {
    throw badRequest("You must provide the user's email to send a confirmation email.", 'require_account_confirmation needs an email to send the confirmation to; nothing was created')
  }
  if (require && passwordGiven) {
    throw badRequest('Users will provide their own password on confirmation.', 'a password may not be sent with require_account_confirmation; nothing was created')
  }
  if (sendNow && !require) {
    throw badRequest('You must require account confirmation to send a confirmation email.', 'send_confirmation_email_now needs require_account_confirmation; nothing was created')
  }
  return { unconfirmed: require, sendEmail: require && sendNow }
}

/**
 * PUT's `send_confirmation_email_now`, checked after the field updates are
 * known to succeed. `email` is the worker's address after this request.
 */
export function confirmationOnUpdate (domain: DomainState, user: StoredUser, sendNow: boolean, email: string): WorkerEmail | null {
  if (!sendNow || !twoStageEnabled(domain)) return null
  if (user.is_account_confirmed !== false) {
    throw badRequest("The confirmation email can not be sent because this user's account is already confirmed.",
      'the worker is already confirmed, so HQ sends no confirmation e-mail; nothing was changed')
  }
  if (email === '') {
    throw badRequest("This user has no email. You must provide the user's email to send a confirmation email.",
      'the worker has no e-mail address to send the confirmation to; nothing was changed')
  }
  return { type: 'account_confirmation', to: email, user_id: user.id }
}

/** `email_password_reset`: the checks in HQ's order, then the e-mail that is due. */
export function passwordResetEmail (user: StoredUser | undefined, id: string): WorkerEmail {
  if (user === undefined) {
    throw notFoundCanned(`no mobile worker '${id}' in this domain: HQ raises NotFound, answered 404 with its canned body`)
  }
  if (user.email === '') throw badRequest('This user does not have an email address set.', 'the worker has no e-mail address to send the reset link to')
  if (user.password_hash === null) {
    throw badRequest('This user account cannot reset the password.', 'the worker has no usable password (e.g. a CommCare Connect account)')
  }
  if (!user.is_active || user.is_account_confirmed === false) {
    throw badRequest('This user is inactive and cannot reset their password.',
      user.is_active ? 'the worker has not confirmed its account yet' : 'the worker is deactivated')
  }
  return { type: 'password_reset', to: user.email, user_id: user.id }
}
