// Regenerates the transcripts in test/transcripts/ from the mock on its bundled
// seed (`npm run transcripts`, which builds first). test/cli/transcripts.test.ts
// replays them in `npm test`, so a change in what the mock answers shows as
// drift until the transcripts are recorded again on purpose.
import { spawn } from 'node:child_process'

const CLI = 'dist/cli.js'

/** Each transcript: its file, and who records it on which domain. */
const RECORDINGS = [
  { file: 'bundled-demo-admin.json', domain: 'demo', username: 'admin@example.org', key: 'demo-api-key', writes: true },
  { file: 'bundled-other-admin.json', domain: 'other', username: 'admin@example.org', key: 'demo-api-key', writes: true },
  { file: 'bundled-demo-reader.json', domain: 'demo', username: 'viewer@example.org', key: 'viewer-api-key', writes: false }
]

function run (args, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', d => {
      out += d
      onLine?.(out, child)
    })
    child.on('error', reject)
    child.on('exit', code => resolve({ code, out }))
  })
}

let url
let server
const started = new Promise(resolve => {
  run(['--in-memory', '--port', '0', '--log-level', 'warn'], (out, child) => {
    server = child
    const m = /listening on (http:\/\/\S+)/.exec(out)
    if (m !== null && url === undefined) {
      url = m[1]
      resolve()
    }
  })
})
await started
let failed = false
try {
  for (const r of RECORDINGS) {
    // A fresh start for each recording: reset the mock to its seed first.
    await fetch(`${url}/__mock/reset`, { method: 'POST' })
    const args = ['record', '--url', url, '--domain', r.domain, '--username', r.username, '--api-key', r.key, '--out', `test/transcripts/${r.file}`]
    if (r.writes) args.push('--allow-writes')
    const { code } = await run(args)
    if (code !== 0) failed = true
  }
} finally {
  server.kill('SIGTERM')
}
process.exitCode = failed ? 1 : 0
