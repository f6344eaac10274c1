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
    case 'object':
      if (value === null) return 'null'
      if (Array.isArray(value)) return dumpArray(value)
      return dumpObject(value as Record<string, unknown>)
    default:
      return 'null'
  }
}

function dumpArray (items: unknown[]): string {
  if (items.length === 0) return '[]'
  let out = '[' + dumps(items[0])
  for (let i = 1; i < items.length; i++) out += ', ' + dumps(items[i])
  return out + ']'
}

function dumpObject (obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    const v = obj[key]
    if (v === undefined || typeof v === 'function') continue
    out += (first ? '' : ', ') + JSON.stringify(key) + ': ' + dumps(v)
    first = false
  }
  return out + '}'
}
