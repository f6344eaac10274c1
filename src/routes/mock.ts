import type { FastifyInstance } from 'fastify'
import { VERSION } from '../version.js'

// The test-control API under /__mock/, a prefix HQ never uses.

export async function mockRoutes (app: FastifyInstance): Promise<void> {
  const started = Date.now()

  app.get('/__mock/health', async () => {
    const { store } = app.ctx
    return {
      status: 'ok',
      version: VERSION,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      domains: store.domainNames().length,
      users: store.userCount()
    }
  })
}
