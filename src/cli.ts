#!/usr/bin/env node
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadCached } from './code-cache.js'

// `commcare-hq-mock`. The build bundles the command with its dependencies into
// command.cjs beside this file and keeps V8's compiled code for it, so a start
// neither resolves hundreds of modules nor compiles their code again: about
// half the time to the first answer. From source (no bundle) it runs main.ts.

const bundle = fileURLToPath(new URL('./command.cjs', import.meta.url))
if (existsSync(bundle)) {
  const command = loadCached(bundle)
  const { run } = command.exports as typeof import('./main.js')
  run(command.saveCache)
} else {
  (await import('./main.js')).run()
}
