// Typed errors for CommCare's answers. The single HTTP error handler turns each
// into the status, headers and body HQ would send, plus `X-Mock-Reason`.

export const CANNED_500 = 'Sorry, this request could not be processed. Please try again later.'

export type ErrorBody =
  | { kind: 'empty' }
  | { kind: 'error', message: string } // {"error": "..."} with tastypie's HTML escaping
  | { kind: 'error-raw', message: string } // {"error": "..."} as is
  | { kind: 'canned' } // {"error_message": CANNED_500}
  | { kind: 'error_message', message: string }
  | { kind: 'text', text: string, contentType: string }
  | { kind: 'errors', messages: string[] } // {"errors": [...]}: Django's JsonResponse (web users, invitations)

export class HqError extends Error {
  readonly status: number
  readonly body: ErrorBody
  readonly reason: string
  readonly headers: Record<string, string>

  constructor (status: number, body: ErrorBody, reason: string, headers: Record<string, string> = {}) {
    super(reason)
    this.name = 'HqError'
    this.status = status
    this.body = body
    this.reason = reason
    this.headers = headers
  }
}

/** 400 `{"error": message}`: tastypie's BadRequest. */
export function badRequest (message: string, reason?: string): HqError {
  return new HqError(400, { kind: 'error', message }, reason ?? message)
}

/** 500 with the canned `error_message` body: an unhandled exception in HQ. */
export function serverError (reason: string): HqError {
  return new HqError(500, { kind: 'canned' }, reason)
}

export function notFoundEmpty (reason: string): HqError {
  return new HqError(404, { kind: 'empty' }, reason)
}

export function notFoundCanned (reason: string): HqError {
  return new HqError(404, { kind: 'canned' }, reason)
}

export function unauthorized (reason: string, headers: Record<string, string> = {}): HqError {
  return new HqError(401, { kind: 'empty' }, reason, headers)
}

export function forbidden (reason: string): HqError {
  return new HqError(403, { kind: 'empty' }, reason)
}

/** A request whose field errors HQ collects and answers together. */
export function collectedErrors (messages: string[]): HqError {
  return badRequest(
    'The request resulted in the following errors: ' + messages.join(', '),
    `the request was refused as a whole (${messages.length} field error${messages.length === 1 ? '' : 's'}); nothing was changed`
  )
}

/** tastypie escapes `<`, `>` and `&` in BadRequest messages. */
export function escapeHtml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
