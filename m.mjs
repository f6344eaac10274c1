import { startMockServer } from 'commcare-hq-mock'
const A = { authorization: 'ApiKey admin@example.org:demo-api-key' }
const path = '/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/'
const on = await startMockServer()
const off = await startMockServer({ journalSize: 0 })
async function run (s, n) { const c = process.cpuUsage(); for (let i = 0; i < n; i++) await s.app.inject({ method: 'GET', url: path, headers: A }); const d = process.cpuUsage(c); return (d.user + d.system) / n }
for (const round of [1, 2, 3, 4]) {
  const a = await run(on, 5000); const b = await run(off, 5000)
  console.log(round, 'cpu µs/req on', a.toFixed(1), 'off', b.toFixed(1))
}
await on.close(); await off.close()
