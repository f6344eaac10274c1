import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { requireAdmin } from '../mock/admin.js'
import { SPEC_PATH } from '../paths.js'

// The API description and an interactive docs page under /__mock/. The page is
// Swagger UI from the swagger-ui-dist package, served from this process, so it
// works without any network access.

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8'
}

// validatorUrl null: Swagger UI would otherwise send the spec to an online validator.
const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/__mock/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    validatorUrl: null,
    tryItOutEnabled: false
  })
})
`

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>commcare-hq-mock API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/__mock/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/__mock/docs/swagger-ui-bundle.js"></script>
  <script src="/__mock/docs/init.js"></script>
</body>
</html>
`

interface Loaded { yaml: string, json: string, assets: Map<string, Buffer> }

export async function docsRoutes (app: FastifyInstance): Promise<void> {
  // Read on first use: a server that never shows its docs never loads the 1.5 MB
  // bundle, nor the YAML parser (which would add to every cold start).
  let loaded: Loaded | undefined
  const load = (): Loaded => {
    if (loaded !== undefined) return loaded
    const require = createRequire(import.meta.url)
    const { parse } = require('yaml') as typeof import('yaml')
    const yaml = readFileSync(SPEC_PATH, 'utf8')
    const dist = dirname(require.resolve('swagger-ui-dist/package.json'))
    const assets = new Map(Object.keys(ASSETS).map(name => [name, readFileSync(join(dist, name))]))
    assets.set('init.js', Buffer.from(INIT_JS))
    loaded = { yaml, json: JSON.stringify(parse(yaml)), assets }
    return loaded
  }
  const onRequest = requireAdmin

  app.get('/__mock/openapi.yaml', { onRequest }, async (_request, reply) => {
    return reply.type('application/yaml; charset=utf-8').send(load().yaml)
  })

  app.get('/__mock/openapi.json', { onRequest }, async (_request, reply) => {
    return reply.type('application/json; charset=utf-8').send(load().json)
  })

  app.get('/__mock/docs', { onRequest }, async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(PAGE)
  })

  app.get('/__mock/docs/:asset', { onRequest }, async (request, reply) => {
    const { asset } = request.params as { asset: string }
    const body = Object.hasOwn(ASSETS, asset) || asset === 'init.js' ? load().assets.get(asset) : undefined
    if (body === undefined) {
      return reply.code(404).header('x-mock-reason', 'not an asset of the docs page').send()
    }
    return reply
      .type(ASSETS[asset] ?? 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(body)
  })
}
