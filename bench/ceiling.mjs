// The ceiling: a bare Fastify server that answers a constant. Plain JavaScript,
// so it starts the way the built mock (dist/cli.js) does, without a TypeScript
// loader in front. The body is about the size of a mobile worker's answer, so
// both servers put the same bytes on the wire.
import Fastify from 'fastify'

const BODY = JSON.stringify({
  default_phone_number: '254700000001',
  email: 'worker1@example.org',
  eulas: '[]',
  first_name: 'First1',
  groups: ['0123456789abcdef0123456789abcdef'],
  id: '0123456789abcdef0123456789abcdef',
  last_name: 'Last1',
  locations: ['0123456789abcdef0123456789abcdef'],
  phone_numbers: ['254700000001'],
  primary_location: '0123456789abcdef0123456789abcdef',
  resource_uri: '/a/bench/api/v0.5/user/0123456789abcdef0123456789abcdef/',
  user_data: { chw_id: 'CHW-1', commcare_profile: '', commcare_project: 'bench' },
  username: 'worker000001@bench.commcarehq.org'
})

const app = Fastify({ logger: false })
app.get('/__mock/health', async () => ({ status: 'ok' }))
app.get('/a/:domain/api/v0.5/user/:id/', async (_request, reply) => {
  return reply.type('application/json; charset=utf-8').send(BODY)
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`ceiling listening on http://127.0.0.1:${app.server.address().port}\n`)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { app.close().then(() => process.exit(0)) })
