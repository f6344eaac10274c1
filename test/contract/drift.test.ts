import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import t, { type Test } from 'tap'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { build } from '../helpers/app.js'
import { pathShape, specOperations, toSpecPath } from '../helpers/openapi.js'

// No drift, both ways: every (method, path) the app registers is documented in
// openapi.yaml, and every operation there is served.
//
// Which methods count: a CommCare resource also registers a catch-all route
// that answers 405 (with `Allow`) for every method it does not allow, and 200
// for OPTIONS. OPTIONS is a real, documented operation of each such path; the
// 405 methods are not operations: the spec documents them once, as
// components/responses/MethodNotAllowed, and the response check validates them
// against it. So from a catch-all only OPTIONS counts.

interface Served { method: string, path: string }

/** The routes of a freshly built app, collected by an onRoute hook added as Fastify creates the instance. */
async function servedRoutes (tt: Test): Promise<Served[]> {
  const routes: RouteOptions[] = []
  const onInit = (message: unknown): void => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', route => { routes.push(route) })
  }
  subscribe('fastify.initialization', onInit)
  try {
    await build(tt, { checkResponses: false })
  } finally {
    unsubscribe('fastify.initialization', onInit)
  }
  const out: Served[] = []
  for (const r of routes) {
    const methods = Array.isArray(r.method) ? r.method : [r.method]
    const catchAll = (r.config as { hq?: { methodNotAllowed?: boolean } } | undefined)?.hq?.methodNotAllowed === true
    for (const m of methods) {
      if (catchAll && m !== 'OPTIONS') continue
      out.push({ method: m, path: toSpecPath(r.url ?? '') })
    }
  }
  return out
}

const key = (o: Served): string => `${o.method} ${pathShape(o.path)}`

t.test('every route the server registers is in openapi.yaml, and every spec operation is served', async t => {
  const served = await servedRoutes(t)
  const documented = specOperations()
  t.ok(served.length > 40, `collected the app's routes (${served.length})`)
  const spec = new Set(documented.map(key))
  const server = new Set(served.map(key))
  const undocumented = [...new Set(served.filter(o => !spec.has(key(o))).map(o => `${o.method} ${o.path}`))].sort()
  const unserved = documented.filter(o => !server.has(key(o))).map(o => `${o.method} ${o.path}`).sort()
  const parts: string[] = []
  if (undocumented.length > 0) parts.push(`served but not in openapi.yaml: ${undocumented.join(', ')}`)
  if (unserved.length > 0) parts.push(`in openapi.yaml but not served: ${unserved.join(', ')}`)
  if (parts.length > 0) {
    t.fail(`openapi.yaml and the server have drifted apart; ${parts.join('; ')}`, { undocumented, unserved })
  } else {
    t.pass(`${served.length} routes and ${documented.length} spec operations match`)
  }
})

t.test('both CommCare URL styles are documented for every CommCare resource', async t => {
  const paths = new Set(specOperations().map(o => o.path))
  const pairs: Array<[string, string]> = [
    ['/a/{domain}/api/v0.5/user/', '/a/{domain}/api/user/v1/'],
    ['/a/{domain}/api/v0.5/user/{id}/', '/a/{domain}/api/user/v1/{id}/'],
    ['/a/{domain}/api/v0.5/group/', '/a/{domain}/api/group/v1/'],
    ['/api/v0.5/identity/', '/api/identity/v1/'],
    ['/api/v0.5/user_domains/', '/api/user_domains/v1/']
  ]
  const shapes = new Set([...paths].map(pathShape))
  for (const pair of pairs) for (const p of pair) t.ok(shapes.has(pathShape(p)), `${p} is documented`)
})
