// HQ (tastypie) serializes with Python's `json.dumps(data, sort_keys=True,
// ensure_ascii=False)`: keys sorted, `", "` between items and `": "` after keys.
// Clients that compare bodies byte for byte see exactly that from the mock.

export function dumps (value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return value.toString()
    case 'object':
      if (value === null) return 'null'
      if (Array.isArray(value)) return dumpArray(value)
      return dumpObject(value as Record<string, unknown>)
    default:
      return 'null'
  }
}

function dumpArray (items: unknown[]): string {
  const n = items.length
  if (n === 0) return '[]'
  let out = '[' + dumps(items[0])
  for (let i = 1; i < n; i++) out += ', ' + dumps(items[i])
  return out + ']'
}

// Answers repeat the same few keys thousands of times: quote each once.
const QUOTED = new Map<string, string>()
const QUOTED_MAX = 10_000

function quoteKey (key: string): string {
  let quoted = QUOTED.get(key)
  if (quoted === undefined) {
    quoted = JSON.stringify(key)
    if (QUOTED.size < QUOTED_MAX) QUOTED.set(key, quoted)
  }
  return quoted
}

/** Most objects (renderUser's among them) are built in key order: check before sorting. */
function sortedKeys (obj: object): string[] {
  const keys = Object.keys(obj)
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) return keys.sort()
  }
  return keys
}

function dumpObject (obj: Record<string, unknown>): string {
  const keys = sortedKeys(obj)
  let out = '{'
  let sep = ''
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const v = obj[key]
    if (v === undefined || typeof v === 'function') continue
    out += sep + quoteKey(key) + ': ' + (typeof v === 'string' ? JSON.stringify(v) : dumps(v))
    sep = ', '
  }
  return out + '}'
}
