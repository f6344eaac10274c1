import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { secretEquals } from '../commcare/passwords.js'

// The admin token guards the test-control API on shared instances. CommCare
// routes never look at it.

export const ADMIN_HEADER = 'x-mock-admin-token'
/** The cookie `/__mock/docs?token=<t>` sets (HttpOnly, SameSite=Strict, Path=/__mock/): how a browser carries the token. */
export const ADMIN_COOKIE = 'mock_admin_token'

/** The token a request offers: `Authorization: Bearer <t>`, `X-Mock-Admin-Token: <t>` or the `mock_admin_token` cookie. */
export function offeredAdminToken (headers: IncomingHttpHeaders): string | undefined {
  const direct = headers[ADMIN_HEADER]
  if (typeof direct === 'string' && direct !== '') return direct
  const auth = headers.authorization
  if (typeof auth === 'string') {
    const m = /^bearer\s+(.+)$/i.exec(auth.trim())
    if (m !== null) return m[1].trim()
  }
  const cookie = typeof headers.cookie === 'string' ? new RegExp(`(?:^|;\\s*)${ADMIN_COOKIE}=([^;]*)`).exec(headers.cookie) : null
  if (cookie !== null && cookie[1] !== '') {
    try { return decodeURIComponent(cookie[1]) } catch { return cookie[1] }
  }
  return undefined
}

/** True when no token is configured, or the request offers the right one (constant-time compare). */
export function hasAdminAccess (headers: IncomingHttpHeaders, token: string | null | undefined): boolean {
  if (token === null || token === undefined || token === '') return true
  const offered = offeredAdminToken(headers)
  return offered !== undefined && secretEquals(offered, token)
}

/**
 * onRequest hook for routes under /__mock/: 401 `{"error": …}` unless the
 * request carries the configured admin token. Reads the token from the app
 * (`app.mockAdminToken`), so any plugin can use it:
 * `app.get('/__mock/x', { onRequest: requireAdmin }, handler)`.
 */
export async function requireAdmin (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const token = request.server.mockAdminToken
  if (hasAdminAccess(request.headers, token)) return undefined
  const offered = offeredAdminToken(request.headers) !== undefined
  return reply.code(401)
    .header('www-authenticate', 'Bearer realm="commcare-hq-mock"')
    .header('x-mock-reason', offered ? 'wrong admin token' : 'this server has an admin token; send it as "Authorization: Bearer <token>" or "X-Mock-Admin-Token: <token>"')
    .send({ error: offered ? 'The admin token is wrong.' : 'This endpoint needs the admin token (Authorization: Bearer <token> or X-Mock-Admin-Token: <token>).' })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin token for /__mock/*, or null when the test-control API is open. */
    mockAdminToken: string | null
  }
}
