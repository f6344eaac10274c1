// The ceiling: a bare Fastify server that answers a constant. Plain JavaScript,
// so it starts the way the built mock (dist/cli.js) does, without a TypeScript
// loader in front. It answers the bytes the mock answers for a GET detail of
// one of the benchmark's workers (bench/seed.ts): the same body, as HQ
// serializes it, and the same headers, so both servers put the same bytes on
// the wire (the benchmark checks that they do).
import Fastify from 'fastify'

const BODY = '{"default_phone_number": "254700000000", "email": "worker0@example.org", "eulas": "[]", ' +
  '"first_name": "First0", "groups": ["5f63565b35c8910a48e6607d6e1e027b"], "id": "9fe25a5819d440b074142ed3c530329e", ' +
  '"language": "en", "last_name": "Last0", "locations": ["590b32a63123976ef7f7d8be0dd2396a"], ' +
  '"phone_numbers": ["254700000000"], "primary_location": "590b32a63123976ef7f7d8be0dd2396a", ' +
  '"resource_uri": "/a/bench/api/v0.5/user/9fe25a5819d440b074142ed3c530329e/", "role": "Mobile Worker", ' +
  '"user_data": {"chw_id": "CHW-0", "commcare_location_id": "590b32a63123976ef7f7d8be0dd2396a", ' +
  '"commcare_location_ids": "590b32a63123976ef7f7d8be0dd2396a", ' +
  '"commcare_primary_case_sharing_id": "590b32a63123976ef7f7d8be0dd2396a", "commcare_profile": 1, ' +
  '"commcare_project": "bench", "program": "maternal-health"}, "username": "worker000000@bench.commcarehq.org"}'

const app = Fastify({ logger: false })
app.get('/__mock/health', async () => ({ status: 'ok' }))
app.get('/a/:domain/api/v0.5/user/:id/', async (_request, reply) => {
  return reply
    .header('access-control-allow-origin', '*')
    .header('access-control-allow-headers', 'Content-Type, Authorization')
    .type('application/json; charset=utf-8')
    .send(BODY)
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`ceiling listening on http://127.0.0.1:${app.server.address().port}\n`)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { app.close().then(() => process.exit(0)) })
