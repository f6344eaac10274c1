import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ADMIN_COOKIE, requireAdmin } from '../mock/admin.js'
import { secretEquals } from '../commcare/passwords.js'
import { DOCS_CSS, renderDocsPage } from '../mock/docs-page.js'
import { SPEC_PATH } from '../paths.js'

// The API description and a docs page under /__mock/. The page is rendered
// here from openapi.yaml into plain HTML and one style sheet: no script, no
// remote font or CDN, nothing is sent anywhere (and the CSP says so).
//
// A browser cannot send the admin token as a header: `/__mock/docs?token=<t>`
// with the right token sets it as an HttpOnly, SameSite=Strict cookie for
// /__mock/ and redirects to the same URL without the token, so the token
// leaves the address bar and the history. Request logs redact `token`; the
// journal never records /__mock/.

const STYLESHEET = '/__mock/docs/docs.css'

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

interface Loaded { yaml: string, json: string, page: string }

/** The URL as asked, less its `token` query parameter(s). */
function withoutToken (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = new URLSearchParams(url.slice(q + 1))
  params.delete('token')
  const rest = params.toString()
  return url.slice(0, q) + (rest === '' ? '' : `?${rest}`)
}

export async function docsRoutes (app: FastifyInstance): Promise<void> {
  // Read on first use: a server that never shows its docs never loads the YAML
  // parser (which would add to every cold start) nor renders the page.
  let loaded: Loaded | undefined
  const load = (): Loaded => {
    if (loaded !== undefined) return loaded
    const require = createRequire(import.meta.url)
    const { parse } = require('yaml') as typeof import('yaml')
    const yaml = readFileSync(SPEC_PATH, 'utf8')
    const spec = parse(yaml)
    loaded = { yaml, json: JSON.stringify(spec), page: renderDocsPage(spec, STYLESHEET) }
    return loaded
  }
  const onRequest = requireAdmin

  app.get('/__mock/openapi.yaml', { onRequest }, async (_request, reply) => {
    return reply.type('application/yaml; charset=utf-8').send(load().yaml)
  })

  app.get('/__mock/openapi.json', { onRequest }, async (_request, reply) => {
    return reply.type('application/json; charset=utf-8').send(load().json)
  })

  // `?token=` first: with the right one, the cookie and a redirect; a wrong
  // one is refused here; without one, the usual admin check.
  const tokenLogin = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const { token: offered } = request.query as { token?: string | string[] }
    if (offered === undefined) return requireAdmin(request, reply)
    const configured = request.server.mockAdminToken
    const value = Array.isArray(offered) ? offered[0] : offered
    if (configured !== null && configured !== '' && !secretEquals(value, configured)) {
      return reply.code(401)
        .header('www-authenticate', 'Bearer realm="commcare-hq-mock"')
        .header('x-mock-reason', 'wrong admin token in the token query parameter')
        .send({ error: 'The admin token is wrong.' })
    }
    if (configured !== null && configured !== '') {
      reply.header('set-cookie', `${ADMIN_COOKIE}=${encodeURIComponent(configured)}; Path=/__mock/; HttpOnly; SameSite=Strict`)
    }
    return reply.code(303)
      .header('location', withoutToken(request.url))
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-mock-reason', 'the token is kept in a cookie; the page is at the URL without it')
      .send()
  }

  app.get('/__mock/docs', { onRequest: tokenLogin }, async (_request, reply) => {
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(load().page)
  })

  app.get('/__mock/docs/:asset', { onRequest }, async (request, reply) => {
    const { asset } = request.params as { asset: string }
    if (asset !== 'docs.css') {
      return reply.code(404).header('x-mock-reason', 'not an asset of the docs page').send()
    }
    return reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(DOCS_CSS)
  })
}
