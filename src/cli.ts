#!/usr/bin/env node
import { main } from './server.js'

main(process.argv.slice(2), process.env).then(code => {
  if (code >= 0) process.exitCode = code
}, err => {
  process.stderr.write(`commcare-hq-mock: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
