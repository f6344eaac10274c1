import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, JDOE, SEED, build } from '../helpers/app.js'
import { checkAnswer, checkResponses, loadSpec } from '../helpers/openapi.js'

// The response check that build() puts on every answer of the suite: proof
// that it catches what it must (extra key, undocumented status, wrong content
// type, a body where none is documented), and that the spec's own request
// examples work against the bundled seed.

const USER = `/a/demo/api/v0.5/user/${JDOE}/`

/** The app with a hook that spoils answers, then the response check, collecting its findings. */
async function spoiled (t: Test, spoil: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance, problems: string[] }> {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store })
  t.teardown(() => app.close())
  spoil(app)
  const problems: string[] = []
  checkResponses(app, p => problems.push(p))
  return { app, problems }
}
t.test('an extra key in the user object fails, naming route, status and schema path', async t => {
  const { app, problems } = await spoiled(t, app => {
    app.addHook('onSend', async (request, _reply, payload) => {
      if (request.method !== 'PUT' || typeof payload !== 'string') return payload
      return JSON.stringify({ ...JSON.parse(payload), extra_key: 1 })
    })
  })
  const res = await app.inject({ method: 'PUT', url: USER, headers: { authorization: ADMIN }, payload: { first_name: 'X' } })
  t.equal(res.statusCode, 200)
  t.equal(problems.length, 1, 'one problem reported')
  t.match(problems[0], 'PUT /a/{domain}/api/v0.5/user/{id}/ → 200')
  t.match(problems[0], "must NOT have additional properties 'extra_key'")
  t.match(problems[0], '#/components/schemas/MobileWorker/additionalProperties')
  t.comment(problems[0])
})

t.test('an undocumented status fails', async t => {
  const { app, problems } = await spoiled(t, app => {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method === 'GET') reply.code(418)
      return payload
    })
  })
  await app.inject({ method: 'GET', url: USER, headers: { authorization: ADMIN } })
  t.equal(problems.length, 1)
  t.match(problems[0], 'GET /a/{domain}/api/v0.5/user/{id}/ → 418: status 418 is not documented')
})

t.test('a wrong content type, a missing required header and an unexpected body fail', async t => {
  const { app, problems } = await spoiled(t, app => {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method === 'GET') reply.header('content-type', 'text/plain')
      if (request.method === 'POST') reply.removeHeader('location')
      if (request.method === 'DELETE') return 'surprise'
      return payload
    })
  })
  await app.inject({ method: 'GET', url: USER, headers: { authorization: ADMIN } })
  await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: 'new.one', password: 'secret-1' } })
  await app.inject({ method: 'DELETE', url: USER, headers: { authorization: ADMIN } })
  t.equal(problems.length, 3, problems.join('\n'))
  t.match(problems[0], 'Content-Type text/plain is not one of application/json')
  t.match(problems[1], 'POST /a/{domain}/api/v0.5/user/ → 201: header Location is missing')
  t.match(problems[2], 'DELETE /a/{domain}/api/v0.5/user/{id}/ → 204')
  t.match(problems[2], 'documents no body')
})

t.test('the check accepts what the spec documents, including 405 and unknown routes', async t => {
  const { app, problems } = await spoiled(t, () => {})
  const answers = await Promise.all([
    app.inject({ method: 'GET', url: USER, headers: { authorization: ADMIN } }),
    app.inject({ method: 'PATCH', url: USER }),
    app.inject({ method: 'OPTIONS', url: USER }),
    app.inject({ method: 'GET', url: '/a/demo/api/v0.6/user/' }),
    app.inject({ method: 'GET', url: USER })
  ])
  t.same(answers.map(a => a.statusCode), [200, 405, 200, 404, 401])
  t.same(problems, [])
})

t.test('an unknown route must answer 404 with an empty body', async t => {
  t.same(checkAnswer({ method: 'GET', route: undefined, status: 404, headers: {}, body: '' }), [])
  t.match(checkAnswer({ method: 'GET', route: undefined, status: 200, headers: {}, body: '' })[0], 'an unknown route must answer 404')
})

// ---- the spec's request examples -------------------------------------------

interface Example { method: string, path: string, url: string, name: string, value: unknown, mock: boolean }

function requestExamples (): Example[] {
  const { doc } = loadSpec()
  const resolve = (node: any): any => node?.$ref === undefined ? node : resolve(node.$ref.replace(/^#\//, '').split('/').reduce((n: any, k: string) => n[k], doc))
  const out: Example[] = []
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of ['post', 'put', 'patch', 'delete']) {
      const op = item[method]
      if (op?.requestBody === undefined) continue
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve)
      const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
        const p = params.find(p => p.name === name && p.in === 'path')
        if (p?.example === undefined) throw new Error(`${method} ${path}: path parameter ${name} has no example`)
        return encodeURIComponent(String(p.example))
      })
      const examples = resolve(op.requestBody).content['application/json'].examples ?? {}
      for (const [name, ex] of Object.entries<any>(examples)) {
        out.push({ method: method.toUpperCase(), path, url, name, value: resolve(ex).value, mock: path.startsWith('/__mock') })
      }
    }
  }
  return out
}

t.test('every request example in openapi.yaml succeeds against the bundled seed', async t => {
  const examples = requestExamples()
  t.ok(examples.some(e => e.method === 'PUT' && e.name === 'docsSample'), "the docs' sample PUT is among the examples")
  for (const ex of examples) {
    // A fresh app each: examples must work on the seed, not on each other's leftovers.
    const app = await build(t)
    const res = await app.inject({
      method: ex.method as import('fastify').InjectOptions['method'],
      url: ex.url,
      headers: ex.mock ? {} : { authorization: ADMIN },
      payload: ex.value as object
    })
    t.ok(res.statusCode >= 200 && res.statusCode < 300, `${ex.method} ${ex.path} example '${ex.name}' → ${res.statusCode}`, { body: res.body, reason: res.headers['x-mock-reason'] })
  }
})

t.test("the docs' sample PUT answers the whole, updated mobile worker", async t => {
  const app = await build(t)
  const { doc } = loadSpec()
  const sample = doc.components.requestBodies.MobileWorkerUpdate.content['application/json'].examples.docsSample.value
  for (const url of [USER, `/a/demo/api/user/v1/${JDOE}/`]) {
    const res = await app.inject({ method: 'PUT', url, headers: { authorization: ADMIN }, payload: sample })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.default_phone_number, '50253311399')
    t.same(body.phone_numbers, ['50253311399', '50253314588'])
    t.same(body.groups.sort(), sample.groups.slice().sort())
    t.equal(body.user_data.chw_id, '13/43/DFA')
    t.equal(body.resource_uri, url)
  }
})
