import { badRequest, HqError, serverError } from './errors.js'
import { last, type Query } from './list.js'

// The list filters and ordering of HQ's location resources, as tastypie's
// `build_filters`, `check_filtering` and `apply_sorting` and Django's field
// lookups answer them (BEHAVIOR.md §9.2, §9.3, §9.5; [R2 §E.4]).
//
// The checks run in HQ's order: each filter's name and lookup in query order
// (tastypie), then each value in the order of the ORM filter names (Django
// sorts a `filter(**kwargs)`), then `order_by`, then the caller checks
// `limit` / `offset`, and last what only fails once the query runs.

export type FieldKind = 'char' | 'datetime' | 'decimal' | 'boolean' | 'integer' | 'related' | 'dict'

/** Lookups tastypie lets through where a resource says ALL; the mock implements these. */
export const IMPLEMENTED_LOOKUPS = ['exact', 'gt', 'gte', 'lt', 'lte', 'in', 'range', 'isnull'] as const

const BASE_LOOKUPS = [
  'exact', 'iexact', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'icontains', 'startswith', 'istartswith',
  'endswith', 'iendswith', 'range', 'isnull', 'regex', 'iregex'
]
const DATE_TRANSFORMS = [
  'year', 'month', 'day', 'week_day', 'iso_week_day', 'week', 'iso_year', 'quarter', 'hour', 'minute', 'second', 'date', 'time'
]

/** The lookup names Django registers on a field of this kind (what tastypie takes as a lookup). */
function queryTerms (kind: FieldKind): ReadonlySet<string> {
  return kind === 'datetime' ? DATETIME_TERMS : BASE_TERMS
}
const BASE_TERMS: ReadonlySet<string> = new Set(BASE_LOOKUPS)
const DATETIME_TERMS: ReadonlySet<string> = new Set([...BASE_LOOKUPS, ...DATE_TRANSFORMS])

export interface FilterField<T> {
  kind: FieldKind
  /** The allowed lookups, or 'ALL' (tastypie's constant). */
  lookups: readonly string[] | 'ALL'
  /** The stored value the lookup compares with. */
  value: (item: T) => string | null
}

export interface ResourceFilters<T> {
  /** Every field of the resource (tastypie's `self.fields`): naming another is no filter at all. */
  fields: Record<string, FieldKind>
  /** The filterable fields (tastypie's `Meta.filtering`). */
  filtering: Record<string, FilterField<T>>
  /** Fields that may be ordered on (tastypie's `Meta.ordering`), with their sort value. */
  ordering: Record<string, (item: T) => string>
  /** v2: `field.lookup` is read as `field__lookup`. */
  dotted: boolean
  /** Filters a resource adds before tastypie's (v2: `location_type_code`, `parent_location_id`). */
  extra?: Record<string, (item: T, value: string) => boolean>
}

type Py = string | boolean | null

/** tastypie's `string_to_python`. */
function stringToPython (v: string): Py {
  if (v === 'true' || v === 'True') return true
  if (v === 'false' || v === 'False') return false
  if (v === 'nil' || v === 'none' || v === 'None') return null
  return v
}

export interface FilterPlan<T> {
  apply: (items: T[]) => T[]
  /** Set when HQ fails only when the query runs: throw it after the paging checks. */
  deferred: HqError | null
}

interface Pending<T> {
  ormKey: string
  field: string
  def: FilterField<T>
  lookup: string
  value: Py | string[]
}

/** A field of a resource by name; names such as `constructor` are no field. */
function own<V> (map: Record<string, V>, name: string): V | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined
}

const MISMATCHED = 'Invalid resource lookup data provided (mismatched type).'

function notAllowed (field: string): HqError {
  return badRequest(`The '${field}' field does not allow filtering.`)
}

function hqFails (reason: string): HqError {
  return serverError(`HQ fails unhandled here (canned 500): ${reason}`)
}

/** Python's `repr` of a str, as a list of messages prints it. */
export function pyRepr (s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += '\\' + quote
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += '\\x' + c.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + quote
}

/** A Django ValidationError as tastypie answers it: `{"error": "['<message>']"}`. */
function validationError (message: string): HqError {
  return badRequest(`[${pyRepr(message)}]`, `Django's ValidationError for a filter value: ${message.replace(/[“”]/g, '"')}`)
}

// Django's parse_datetime / parse_date, after Python's fromisoformat.

const ISO_DATE = /^(\d{4})-?(\d{2})-?(\d{2})/
const ISO_TIME = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?$/
const DJANGO_DATETIME = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\n?$/
const DJANGO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})\n?$/

function validDate (y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  return d <= days[m - 1]
}

function key (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, micro = '0'): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${p(y, 4)}-${p(mo)}-${p(d)} ${p(h)}:${p(mi)}:${p(s)}.${micro.slice(0, 6).padEnd(6, '0')}`
}

/** Python 3.11+ `datetime.fromisoformat` (week dates aside), or null where it raises. */
function fromIsoformat (s: string): string | null {
  const dm = ISO_DATE.exec(s)
  if (dm === null) return null
  const dateLen = dm[0].length
  if (dateLen !== 8 && dateLen !== 10) return null
  if (dateLen === 10 && (s[4] !== '-' || s[7] !== '-')) return null
  const [y, mo, d] = [Number(dm[1]), Number(dm[2]), Number(dm[3])]
  if (!validDate(y, mo, d)) return null
  if (s.length === dateLen) return key(y, mo, d)
  const tm = ISO_TIME.exec(s.slice(dateLen + 1))
  if (tm === null) return null
  const [h, mi, sec] = [Number(tm[1]), Number(tm[2] ?? 0), Number(tm[3] ?? 0)]
  if (h > 23 || mi > 59 || sec > 59) return null
  if (tm[5] !== undefined && tm[5] !== 'Z' && Number(tm[5].slice(1, 3)) > 23) return null
  return key(y, mo, d, h, mi, sec, tm[4] ?? '0')
}

/**
 * A filter value as Django's DateTimeField reads it: a sortable key
 * (`YYYY-MM-DD HH:MM:SS.ffffff`, naive: an offset is dropped, as HQ runs
 * with `USE_TZ = False`), or the ValidationError HQ answers.
 */
export function parseDjangoDatetime (v: string): string {
  const iso = fromIsoformat(v)
  if (iso !== null) return iso
  const m = DJANGO_DATETIME.exec(v)
  if (m !== null) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map(i => Number(m[i] ?? 0))
    const tz = m[8] ?? 'Z'
    // Python's timezone needs an offset under 24 hours.
    const offset = tz === 'Z' ? 0 : Number(tz.slice(1, 3)) * 60 + (tz.length > 3 ? Number(tz.slice(-2)) : 0)
    if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59 || offset >= 24 * 60) {
      throw validationError(`“${v}” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid date/time.`)
    }
    return key(y, mo, d, h, mi, s, m[7] ?? '0')
  }
  const dm = DJANGO_DATE.exec(v)
  if (dm !== null) {
    const [y, mo, d] = [1, 2, 3].map(i => Number(dm[i]))
    if (!validDate(y, mo, d)) throw validationError(`“${v}” value has the correct format (YYYY-MM-DD) but it is an invalid date.`)
    return key(y, mo, d)
  }
  throw validationError(`“${v}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.`)
}

/** A stored timestamp as a sortable key (the raw text where it is not one). */
export function storedDatetimeKey (v: string): string {
  try {
    return parseDjangoDatetime(v)
  } catch {
    return v
  }
}

// Decimals, compared exactly: [sign × digits, exponent].

interface Dec { n: bigint, exp: number }

const PY_DECIMAL = /^([+-])?(?:(\d(?:_?\d)*)(?:\.((?:\d(?:_?\d)*)?))?|\.(\d(?:_?\d)*))(?:[eE]([+-]?\d(?:_?\d)*))?$/

function toDec (raw: string): Dec | null {
  const m = PY_DECIMAL.exec(raw.trim())
  if (m === null) return null
  const int = (m[2] ?? '').replace(/_/g, '')
  const frac = (m[3] ?? m[4] ?? '').replace(/_/g, '')
  const e = m[5] === undefined ? 0 : Number(m[5].replace(/_/g, ''))
  if (!Number.isSafeInteger(e) || Math.abs(e) > 10_000) return null
  const digits = BigInt((int + frac) === '' ? '0' : int + frac)
  return { n: m[1] === '-' ? -digits : digits, exp: e - frac.length }
}

function compareDec (a: Dec, b: Dec): number {
  const exp = Math.min(a.exp, b.exp)
  const x = a.n * 10n ** BigInt(a.exp - exp)
  const y = b.n * 10n ** BigInt(b.exp - exp)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Django's DecimalField: Python's `Decimal(value)`, finite, else its ValidationError. */
function parseDecimal (v: string | boolean): Dec {
  if (typeof v === 'boolean') return { n: v ? 1n : 0n, exp: 0 }
  const d = toDec(v)
  if (d === null) throw validationError(`“${v}” value must be a decimal number.`)
  return d
}

type Cmp = (stored: string) => number

/** A value prepared for one field: compares a stored (non-null) value with it. */
function prepare<T> (def: FilterField<T>, v: string | boolean): Cmp {
  switch (def.kind) {
    case 'datetime': {
      if (typeof v === 'boolean') {
        throw hqFails('Django parses a datetime filter value of true/false (tastypie makes it a bool) and raises TypeError')
      }
      const k = parseDjangoDatetime(v)
      return stored => { const s = storedDatetimeKey(stored); return s < k ? -1 : s > k ? 1 : 0 }
    }
    case 'decimal': {
      const d = parseDecimal(v)
      return stored => { const s = toDec(stored); return s === null ? NaN : compareDec(s, d) }
    }
    default: {
      // CharField: str() of the value (a bool reads True / False).
      const text = typeof v === 'boolean' ? (v ? 'True' : 'False') : v
      return stored => stored < text ? -1 : stored > text ? 1 : 0
    }
  }
}

/** The predicate of one filter, or the error HQ answers for it. */
function predicate<T> (p: Pending<T>, defer: (e: HqError) => void): (item: T) => boolean {
  const { def, lookup, value } = p
  const get = def.value
  if (lookup === 'isnull') {
    if (value === null) throw badRequest(MISMATCHED, `${p.ormKey}=None: Django cannot use None as a query value`)
    if (typeof value !== 'boolean') {
      defer(hqFails(`Django's isnull lookup needs True or False, and '${p.field}__isnull' got ${JSON.stringify(value)}`))
      return () => false
    }
    return item => (get(item) === null) === value
  }
  if (lookup === 'in' || lookup === 'range') {
    const parts = Array.isArray(value) ? value : []
    const cmps = parts.map(part => prepare(def, part))
    if (lookup === 'in') return item => { const s = get(item); return s !== null && cmps.some(c => c(s) === 0) }
    if (cmps.length !== 2) {
      defer(hqFails(`Django's range lookup needs exactly two values; '${p.field}__range' got ${cmps.length}`))
      return () => false
    }
    return item => { const s = get(item); return s !== null && cmps[0](s) >= 0 && cmps[1](s) <= 0 }
  }
  if (value === null || Array.isArray(value)) {
    if (lookup === 'exact') return item => get(item) === null
    throw badRequest(MISMATCHED, `${p.ormKey}=None: Django cannot use None as a query value`)
  }
  const cmp = prepare(def, value)
  const test: (c: number) => boolean = lookup === 'gt'
    ? c => c > 0
    : lookup === 'gte' ? c => c >= 0 : lookup === 'lt' ? c => c < 0 : lookup === 'lte' ? c => c <= 0 : c => c === 0
  return item => { const s = get(item); return s !== null && test(cmp(s)) }
}

/** The query's filters in order, each with its last value and all its values (Django's QueryDict). */
function entries (query: Query, dotted: boolean): Array<[string, string, string[]]> {
  const out = new Map<string, [string, string[]]>()
  for (const [rawKey, raw] of Object.entries(query)) {
    if (raw === undefined) continue
    const all = Array.isArray(raw) ? raw : [raw]
    // v2 rewrites every key `a.b` to `a__b`; a later key of the same name wins.
    const k = dotted ? rawKey.split('.').join('__') : rawKey
    out.set(k, [last(raw) ?? '', dotted ? [last(raw) ?? ''] : all])
  }
  return [...out].map(([k, [v, all]]) => [k, v, all])
}

/**
 * Checks the query's filters against a resource and answers how to apply
 * them, or throws the first error HQ answers. `domain` is never a filter of
 * its own here: HQ overrides it with the URL's domain.
 */
export function planFilters<T> (spec: ResourceFilters<T>, query: Query): FilterPlan<T> {
  const list = entries(query, spec.dotted)
  const extra: Array<(item: T) => boolean> = []
  const pending: Array<Pending<T>> = []
  for (const [k, v, all] of list) {
    const add = spec.extra === undefined ? undefined : own(spec.extra, k)
    if (add !== undefined) {
      if (v !== '') extra.push(item => add(item, v))
      continue
    }
    if (k === 'domain') continue
    const bits = k.split('__')
    const field = bits.shift()!
    const kind = own(spec.fields, field)
    if (kind === undefined) continue
    let lookup = 'exact'
    if (bits.length > 0 && queryTerms(kind).has(bits[bits.length - 1])) lookup = bits.pop()!
    const def = own(spec.filtering, field)
    if (def === undefined) throw notAllowed(field)
    if (def.lookups !== 'ALL' && !def.lookups.includes(lookup)) {
      throw badRequest(`'${lookup}' is not an allowed filter on the '${field}' field.`)
    }
    if (bits.length > 0) throw badRequest(`The '${field}' field does not support relations.`)
    if (!(IMPLEMENTED_LOOKUPS as readonly string[]).includes(lookup)) {
      throw badRequest(
        `The mock does not implement the '${lookup}' lookup; use one of ${IMPLEMENTED_LOOKUPS.join(', ')}.`,
        `HQ would apply Django's '${lookup}' lookup to '${field}'; the mock implements only ${IMPLEMENTED_LOOKUPS.join(', ')}`
      )
    }
    let value: Py | string[] = stringToPython(v)
    if (lookup === 'in' || lookup === 'range') {
      if (typeof value !== 'string') throw hqFails(`tastypie takes len() of ${JSON.stringify(value)} for '${k}' and raises TypeError`)
      value = value.length === 0 ? [] : all.flatMap(part => part.split(','))
    }
    pending.push({ ormKey: `${field}__${lookup}`, field, def, lookup, value })
  }
  // Django sorts the keyword filters; their values are checked in that order.
  pending.sort((a, b) => a.ormKey < b.ormKey ? -1 : a.ormKey > b.ormKey ? 1 : 0)
  let deferred: HqError | null = null
  const tests = pending.map(p => predicate(p, e => { deferred ??= e }))
  const checks = [...extra, ...tests]
  return {
    deferred,
    apply: items => checks.length === 0 ? items : items.filter(item => checks.every(c => c(item)))
  }
}

/**
 * tastypie's `apply_sorting`: `order_by` (or the old `sort_by`), every value
 * of it, each a field of the resource that allows ordering, `-` for
 * descending. Answers the sort to apply, or null for the stored order.
 */
export function planOrdering<T> (spec: ResourceFilters<T>, query: Query): ((items: T[]) => T[]) | null {
  const raw = query.order_by ?? query.sort_by
  if (raw === undefined) return null
  const keys: Array<{ get: (item: T) => string, desc: boolean }> = []
  for (const bit of Array.isArray(raw) ? raw : [raw]) {
    const parts = bit.split('__')
    const desc = parts[0].startsWith('-')
    const field = desc ? parts[0].slice(1) : parts[0]
    if (own(spec.fields, field) === undefined) throw badRequest(`No matching '${field}' field for ordering on.`)
    const get = own(spec.ordering, field)
    if (get === undefined) throw badRequest(`The '${field}' field does not allow ordering.`)
    if (parts.length > 1) throw hqFails(`Django's order_by cannot resolve '${bit}'`)
    keys.push({ get, desc })
  }
  return items => items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => {
      for (const k of keys) {
        const x = k.get(a.item)
        const y = k.get(b.item)
        if (x !== y) return (x < y ? -1 : 1) * (k.desc ? -1 : 1)
      }
      return a.i - b.i
    })
    .map(e => e.item)
}
