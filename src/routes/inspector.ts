import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { INSPECTOR_ASSETS } from '../paths.js'
import { requireAdmin } from '../mock/admin.js'
import { webUserSummaries } from '../mock/web-user-summary.js'

// The inspector: a static page at /__mock/ that reads and steers the mock
// through the same /__mock/* JSON API a script uses. The page and its assets
// hold no data, so they are served without the admin token; every data call
// the page makes sends the token (X-Mock-Admin-Token) and gets 401 without it.
// The one data route here, GET /__mock/web-users, lists the seed's accounts
// (which the state export leaves out) without their secrets.

const FILES: Record<string, { file: string, type: string }> = {
  '/__mock/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/__mock/inspector/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/__mock/inspector/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' }
}

// Only the page's own files and the same origin: no inline script, no CDN.
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The token may arrive in the page's query string; never pass it on.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache'
}

export async function inspectorRoutes (app: FastifyInstance): Promise<void> {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    // Read once at start: the files are small and part of the package.
    const body = readFileSync(new URL(file, INSPECTOR_ASSETS))
    app.get(url, async (_request, reply) => {
      return reply.headers(SECURITY_HEADERS).type(type).send(body)
    })
  }

  app.get('/__mock/web-users', { onRequest: requireAdmin }, async () => {
    const webUsers = webUserSummaries(app.ctx.store.webUsers())
    return { web_users: webUsers, total: webUsers.length }
  })
}
