// The second half of `npm run build`, after tsc has type-checked src/ and
// compiled it to dist/ (the library, `import … from 'commcare-hq-mock'`, and
// dist/cli.js, the command's entry).
//
// 1. The inspector's static files go beside the compiled code.
// 2. The command is bundled with its dependencies into dist/command.cjs, which
//    dist/cli.js runs. Resolving and loading ~45 compiled modules, TypeBox's
//    ~250 ES modules and Fastify's CommonJS tree one file at a time takes Node
//    longer than running the code in them. Left out: `yaml` (loaded when the
//    API docs are first asked for).
// 3. A warm-up start (in memory, on the bundled seed) leaves V8's compiled code
//    for the bundle in dist/command.cjs.cache, so no start compiles it again.
//    The npm package leaves it out ("files" in package.json): it fits only this
//    Node version and architecture (any other rejects it), and an installed
//    command writes its own on its first start where its folder is writable.
import { spawn } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

cpSync('src/inspector', 'dist/inspector', { recursive: true })

rmSync('dist/command.cjs.cache', { force: true })
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/command.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  external: ['yaml'],
  // The sources use import.meta.url to find the package's files; in the bundle
  // it is the bundle's own URL (dist/, where the compiled modules are too).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning'
})

await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, ['dist/cli.js', '--in-memory', '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', d => {
    out += d
    if (out.includes(' listening on ')) child.kill('SIGTERM')
  })
  child.on('error', reject)
  child.on('exit', () => existsSync('dist/command.cjs.cache') ? resolve() : reject(new Error(`the warm-up start left no code cache:\n${out}`)))
})
