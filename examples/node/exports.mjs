// node exports.mjs: the package's files through its "exports".
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const read = async specifier => readFile(fileURLToPath(import.meta.resolve(specifier)), 'utf8')

const spec = await read('commcare-hq-mock/openapi.yaml')
console.log(spec.match(/^openapi: .*$/m)[0])

const seed = JSON.parse(await read('commcare-hq-mock/seed/default.json'))
console.log(`seed domains: ${Object.keys(seed.domains).join(', ')}`)

const { version } = JSON.parse(await read('commcare-hq-mock/package.json'))
console.log(`commcare-hq-mock ${version}`)
