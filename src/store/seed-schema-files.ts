import { writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { TSchema } from '@sinclair/typebox'
import { SeedDomainDocumentSchema, SeedSchema } from './schema.js'

// seed/seed.schema.json and seed/domain.schema.json: the JSON Schemas of a
// seed file and of a /__mock/domains seed document, for editors (a seed's
// "$schema" key). Derived from the TypeBox schemas the server validates with,
// so the two cannot drift: a test compares these with the committed files.
//
//   npm run seed-schemas     (node --import tsx src/store/seed-schema-files.ts)

/** A TypeBox schema as plain JSON Schema (its symbol keys dropped), with the draft it follows. */
function jsonSchema (schema: TSchema): string {
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...plain }, null, 2) + '\n'
}

/** File name under seed/ → its content. */
export function seedSchemaFiles (): Record<string, string> {
  return {
    'seed.schema.json': jsonSchema(SeedSchema),
    'domain.schema.json': jsonSchema(SeedDomainDocumentSchema)
  }
}

export async function writeSeedSchemaFiles (dir: URL = new URL('../../seed/', import.meta.url)): Promise<string[]> {
  const written: string[] = []
  for (const [name, text] of Object.entries(seedSchemaFiles())) {
    const path = fileURLToPath(new URL(name, dir))
    await writeFile(path, text)
    written.push(path)
  }
  return written
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const path of await writeSeedSchemaFiles()) process.stdout.write(`wrote ${path}\n`)
}
