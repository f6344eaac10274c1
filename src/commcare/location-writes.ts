import { randomBytes } from 'node:crypto'
import type { DomainState } from '../store/domain.js'
import type { Location, LocationField, LocationType } from '../store/schema.js'
import { compileFieldRegex } from '../store/validate.js'
import { HqError, badRequest, serverError } from './errors.js'
import { pyRepr } from './location-filters.js'
import { deriveLocationTypes, locationTypes } from './location-types.js'
import { truthy } from './users.js'

// Location writes on HQ's v0.6 resource (`v0.6/location/`, `location/v2/`):
// POST, PUT and the list PATCH (BEHAVIOR.md §9.4; [R2 §E.5]). HQ's
// `LocationResource._update` step by step: parent → name → site_code →
// location_data → type → latitude/longitude → leftovers, each with its own
// message. A request is checked in full against a copy of the domain's
// locations; only then is the copy written back, so a refused write (or a
// refused item of a batch) changes nothing.

/** HQ's `patch_limit`. */
export const PATCH_LIMIT = 100

export const LOCATION_MESSAGES = {
  required: "'name' and 'location_type_code' are required fields when creating a new location.",
  notFound: (id: string) => `Could not update: could not find location with given ID ${id} on the domain.`,
  parentNotFound: 'Could not find parent location with the given ID.',
  parentNoChildren: 'The selected parent location cannot have child locations!',
  parentWrongType: "Parent cannot have children of this location's type.",
  siblingName: 'Location with same name and parent already exists.',
  siteCodeChars: 'The site code cannot contain spaces or special characters.',
  siteCodeTaken: 'another location already uses this site code',
  selectType: 'You must select a location type',
  typeNotFound: (code: string) => `LocationType '${code}' not found`,
  typeNotValid: 'Location type not valid for the selected parent.',
  typeWithChildren: 'You cannot change the location type of a location with children',
  invalidFields: (keys: string[]) => `Invalid fields were included in request: [${keys.map(pyRepr).join(', ')}].`,
  notDecimal: (value: string) => `“${value}” value must be a decimal number.`,
  patchLimit: 'Object count exceeds limit for PATCH method.',
  missingObjects: "Invalid data sent: missing 'objects'"
} as const

export interface LocationWriteContext {
  domain: DomainState
  /** Whether another domain holds a (not archived) location with this id: HQ looks a parent up in every domain. */
  foreignLocation: (id: string) => boolean
  /** `last_modified` (and `created_at`) of everything this request saves. */
  now: string
}

export interface LocationWritePlan {
  /** Writes the checked changes into the domain; returns the saved locations in request order. */
  apply: () => Location[]
}

/** A timestamp as HQ stores one: naive UTC, microseconds. */
export function storedNow (ms = Date.now(), micro = 0): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}${String(micro).padStart(3, '0')}`
}

/** A location UUID as HQ makes one (`uuid4().hex`). */
export function newLocationId (): string {
  const b = randomBytes(16)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  return b.toString('hex')
}

// ---- Python's view of JSON values ------------------------------------------

/** Python's `str()` of a decoded JSON value (what HQ's f-strings print). */
export function pyText (v: unknown): string {
  if (typeof v === 'string') return v
  return pyLiteral(v)
}

function pyLiteral (v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'string') return pyRepr(v)
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyLiteral(x)}`).join(', ')}}`
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function jsonKind (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return `a ${typeof v}`
}

function hqFails (reason: string): HqError {
  return serverError(`HQ fails unhandled here (canned 500): ${reason}`)
}

/** HQ's `LocationAPIError`: a 400, with `" Location site code: <x>."` when the body still holds a site code. */
function apiError (message: string, siteCode?: unknown): HqError {
  const full = truthy(siteCode) ? `${message} Location site code: ${pyText(siteCode)}.` : message
  return badRequest(full, `HQ's LocationAPIError: ${full.replace(/[“”]/g, '"')}; nothing was changed`)
}

// ---- site codes ---------------------------------------------------------------

// Letters unidecode spells out where NFKD has nothing to drop them to.
const SPELLED: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ı: 'i', ħ: 'h', ŋ: 'ng' }

/** HQ's `unicode_slug`: unidecode (approximated: NFKD, accents dropped), then Django's `slugify`. */
function unicodeSlug (text: string): string {
  const ascii = [...text].map(ch => SPELLED[ch] ?? ch).join('')
    .normalize('NFKD').replace(/[^\x00-\x7f]/g, '') // eslint-disable-line no-control-regex -- every ASCII character stays
  const kept = ascii.toLowerCase().replace(/[^\w\s\x1c-\x1f-]/g, '') // eslint-disable-line no-control-regex -- Python's \s includes \x1c-\x1f
  return kept.replace(/[-\s\x1c-\x1f]+/g, '-').replace(/^[-_]+|[-_]+$/g, '') // eslint-disable-line no-control-regex -- as above
}

/**
 * HQ's `generate_code` (corehq/apps/commtrack/util.py): the name as a
 * lowercase slug with `_`, its trailing digits kept, and a number added or
 * increased until no other location of the domain has the code.
 */
export function generateSiteCode (name: string, taken: Set<string>): string {
  const source = name === '' ? 'no name' : name
  const slug = unicodeSlug(source.toLowerCase()).replace(/[\W\d]+/g, '_').replace(/^_+|_+$/g, '')
  let postfix = /\d*$/.exec(source)![0]
  while (taken.has(slug + postfix)) postfix = postfix === '' ? '1' : String(BigInt(postfix) + 1n)
  return slug + postfix
}

// Python's `^[-_\w\d]+$` with re.match: `\w` is Unicode, and `$` also matches before a final newline.
const SITE_CODE = /^[-_\p{L}\p{N}]+\n?$/u

// ---- coordinates ----------------------------------------------------------------

const PY_DECIMAL = /^([+-]?)(?:(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*)?)?|\.(\d+(?:_\d+)*))(?:[eE]([+-]?\d+(?:_\d+)*))?$/

/**
 * A latitude or longitude as HQ's `DecimalField(max_digits=20,
 * decimal_places=10)` saves it: Python's `Decimal()` of the value, rounded
 * half-even to 10 places. Not a number → Django's ValidationError (400); too
 * large for the column → HQ fails (500).
 */
export function storedDecimal (field: string, v: unknown): string | null {
  if (v === null) return null
  let text: string
  if (typeof v === 'number') text = String(v)
  else if (typeof v === 'boolean') text = v ? '1' : '0'
  else if (typeof v === 'string') text = v.trim()
  else throw notDecimal(field, v)
  const m = PY_DECIMAL.exec(text)
  if (m === null) throw notDecimal(field, v)
  const negative = m[1] === '-'
  const intPart = (m[2] ?? '').replace(/_/g, '')
  const fracPart = (m[3] ?? m[4] ?? '').replace(/_/g, '')
  const exponent = BigInt((m[5] ?? '0').replace(/_/g, '')) - BigInt(fracPart.length)
  const digits = (intPart + fracPart).replace(/^0+/, '')
  let q = 0n
  if (digits !== '') {
    const shift = exponent + 10n
    if (shift > 20n) throw tooLarge(field)
    if (shift >= 0n) {
      q = BigInt(digits) * 10n ** shift
    } else if (BigInt(digits.length) >= -shift) {
      const div = 10n ** -shift
      const coeff = BigInt(digits)
      q = coeff / div
      const twice = 2n * (coeff % div)
      if (twice > div || (twice === div && q % 2n === 1n)) q += 1n
    }
  }
  if (q >= 10n ** 20n) throw tooLarge(field)
  const padded = q.toString().padStart(11, '0')
  const sign = negative && q !== 0n ? '-' : ''
  return `${sign}${padded.slice(0, -10)}.${padded.slice(-10)}`
}

function notDecimal (field: string, v: unknown): HqError {
  const message = LOCATION_MESSAGES.notDecimal(pyText(v))
  return badRequest(`[${pyRepr(message)}]`, `${field}: Django's DecimalField refuses the value when HQ saves the location; nothing was changed`)
}

function tooLarge (field: string): HqError {
  return hqFails(`${field} has more than 10 digits before the point, which HQ's Decimal(20, 10) column cannot hold (decimal.InvalidOperation)`)
}

// ---- custom location fields -------------------------------------------------------

/**
 * HQ's `CustomDataFieldsDefinition.get_validator()` for locations: for each
 * field in order, required, then choices, then regex; the messages joined by
 * a space, or '' when the data is valid.
 */
export function locationDataErrors (fields: LocationField[], data: Record<string, unknown>): string {
  const errors: string[] = []
  for (const f of fields) {
    const label = f.label ?? f.slug
    const value = Object.hasOwn(data, f.slug) ? data[f.slug] : null
    if (f.is_required === true && !truthy(value)) errors.push(`${label} is required.`)
    const choices = f.choices ?? []
    if (choices.length > 0 && truthy(value) && !choices.includes(pyText(value))) {
      errors.push(`'${pyText(value)}' is not a valid choice for ${label}. The available options are: ${choices.join(', ')}.`)
    }
    if (typeof f.regex === 'string' && f.regex !== '' && truthy(value)) {
      if (typeof value !== 'string') throw hqFails(`location_data '${f.slug}' is ${jsonKind(value)}, and Python's re.search needs a string (TypeError)`)
      const re = compileFieldRegex(f.regex)
      if (re !== null && !re.test(value)) errors.push(`'${value}' is not a valid match for ${label}`)
    }
  }
  return errors.join(' ')
}

// ---- the working copy ---------------------------------------------------------------

/** A copy of the domain's locations that a request changes before anything is written. */
class Draft {
  readonly domain: DomainState
  readonly types: LocationType[]
  readonly fields: LocationField[]
  /** Copies, in the domain's order; created locations after them. */
  readonly locations: Location[]
  readonly byId = new Map<string, Location>()
  readonly originals: number
  readonly touched = new Set<Location>()

  constructor (domain: DomainState) {
    this.domain = domain
    this.types = locationTypes(domain)
    this.fields = domain.doc.custom_location_fields ?? []
    this.locations = domain.doc.locations.map(l => ({ ...l }))
    this.originals = this.locations.length
    for (const l of this.locations) this.byId.set(l.id, l)
  }

  /** A location of this domain that may be written to or be a parent: archived ones may not. */
  live (id: string): Location | undefined {
    const l = this.byId.get(id)
    return l === undefined || l.is_archived === true ? undefined : l
  }

  others (loc: Location): Location[] {
    return this.locations.filter(l => l !== loc)
  }

  add (loc: Location): void {
    this.locations.push(loc)
    this.byId.set(loc.id, loc)
  }

  /** Writes the copies back into the domain's own objects, appends the created ones. */
  commit (saved: Location[]): Location[] {
    const { domain } = this
    // Derived types are fixed once a write could change what they derive from.
    domain.doc.location_types ??= deriveLocationTypes(domain)
    const real = new Map<Location, Location>()
    for (let i = 0; i < this.originals; i++) {
      const copy = this.locations[i]
      if (!this.touched.has(copy)) continue
      Object.assign(domain.doc.locations[i], copy)
      real.set(copy, domain.doc.locations[i])
    }
    for (const loc of this.locations.slice(this.originals)) {
      domain.addLocation(loc)
      real.set(loc, loc)
    }
    return saved.map(l => real.get(l)!)
  }
}

/** A parent as HQ finds it: a location of this domain, or one of another domain (which can have no children here). */
type Parent = { kind: 'local', location: Location } | { kind: 'foreign', id: string } | null

function parentType (parent: Parent): string | null | undefined {
  if (parent === null) return null
  // A foreign parent's type belongs to another domain: no type of this one has it as parent.
  return parent.kind === 'local' ? parent.location.location_type : undefined
}

function parentId (parent: Parent): string | null {
  if (parent === null) return null
  return parent.kind === 'local' ? parent.location.id : parent.id
}

/** HQ's `LocationForm.get_allowed_types`: the types whose parent type is the parent's type (at the root: top-level types). */
function allowedTypes (draft: Draft, parent: Parent): LocationType[] {
  const code = parentType(parent)
  if (code === undefined) return []
  return draft.types.filter(t => t.parent === code)
}

function currentParent (draft: Draft, loc: Location): Parent {
  if (loc.parent === null) return null
  const p = draft.byId.get(loc.parent)
  return p === undefined ? { kind: 'foreign', id: loc.parent } : { kind: 'local', location: p }
}

class LocationUpdate {
  readonly draft: Draft
  readonly ctx: LocationWriteContext
  constructor (draft: Draft, ctx: LocationWriteContext) {
    this.draft = draft
    this.ctx = ctx
  }

  /** HQ's `obj_create`. */
  create (body: Record<string, unknown>): Location {
    const data = { ...body }
    if (!Object.hasOwn(data, 'name') || !Object.hasOwn(data, 'location_type_code')) {
      throw apiError(LOCATION_MESSAGES.required, data.site_code)
    }
    const loc: Location = {
      id: newLocationId(),
      name: '',
      site_code: '',
      location_type: '',
      parent: null,
      latitude: null,
      longitude: null,
      external_id: null,
      location_data: {},
      created_at: this.ctx.now,
      last_modified: this.ctx.now
    }
    this.update(loc, data, true)
    this.draft.add(loc)
    return loc
  }

  /** HQ's `obj_update`: the id from the URL (PUT), else popped from the item (PATCH). */
  updateExisting (body: Record<string, unknown>, urlId: string | null): Location {
    const data = { ...body }
    let id: unknown = urlId
    if (urlId === null || urlId === '') {
      id = data.location_id
      delete data.location_id
    }
    const found = this.draft.live(pyText(id))
    if (found === undefined) throw apiError(LOCATION_MESSAGES.notFound(pyText(id)), data.site_code)
    this.update(found, data, false)
    this.draft.touched.add(found)
    return found
  }

  /** HQ's `_update`: each step pops its key; what is left is refused. */
  private update (loc: Location, data: Record<string, unknown>, isNew: boolean): void {
    const { draft } = this
    const has = (key: string): boolean => Object.hasOwn(data, key)
    let parent = isNew ? null : currentParent(draft, loc)
    if (has('parent_location_id')) {
      parent = this.findParent(data.parent_location_id, data.site_code)
      delete data.parent_location_id
      if (!isNew && !has('location_type_code')) this.validateNewParent(loc, parent, data.site_code)
      loc.parent = parentId(parent)
    }
    if (has('name')) {
      const name = data.name
      if (typeof name !== 'string') {
        throw hqFails(`'name' is ${jsonKind(name)}, not a string: HQ's generate_code calls .lower() on it, or the database refuses it`)
      }
      this.validateUniqueAmongSiblings(loc, name, parent, data.site_code)
      loc.name = name
      delete data.name
      if (!has('site_code')) loc.site_code = generateSiteCode(loc.name, this.otherCodes(loc))
    }
    if (has('site_code')) {
      loc.site_code = this.validateSiteCode(loc, data.site_code)
      delete data.site_code
    }
    if (has('location_data')) {
      const value = data.location_data
      if (!isPlainObject(value)) {
        throw hqFails(`'location_data' is ${jsonKind(value)}, not an object: HQ's custom-field validator calls .get() on it`)
      }
      const errors = locationDataErrors(draft.fields, value)
      if (errors !== '') throw apiError(errors, data.site_code)
      loc.location_data = value
      delete data.location_data
    }
    if (has('location_type_code') || isNew) {
      loc.location_type = this.locationType(loc, parent, data.location_type_code, isNew)
      delete data.location_type_code
    }
    let latitude = loc.latitude
    let longitude = loc.longitude
    const coordinates: Array<['latitude' | 'longitude', unknown]> = []
    for (const key of ['latitude', 'longitude'] as const) {
      if (!has(key)) continue
      coordinates.push([key, data[key]])
      delete data[key]
    }
    const left = Object.keys(data)
    if (left.length > 0) throw apiError(LOCATION_MESSAGES.invalidFields(left), data.site_code)
    // What the database does on save: the decimals, latitude first.
    for (const [key, value] of coordinates) {
      if (key === 'latitude') latitude = storedDecimal(key, value)
      else longitude = storedDecimal(key, value)
    }
    loc.latitude = latitude
    loc.longitude = longitude
    this.refuseLoop(loc)
    loc.last_modified = this.ctx.now
  }

  /** HQ's `_get_parent_location`: by id, in any domain. */
  private findParent (raw: unknown, siteCode: unknown): Parent {
    const id = pyText(raw)
    if (raw !== null) {
      const local = this.draft.live(id)
      if (local !== undefined) return { kind: 'local', location: local }
      if (!this.draft.byId.has(id) && this.ctx.foreignLocation(id)) return { kind: 'foreign', id }
    }
    throw apiError(LOCATION_MESSAGES.parentNotFound, siteCode)
  }

  /** HQ's `_validate_new_parent` (an existing location moved without a type in the body). */
  private validateNewParent (loc: Location, parent: Parent, siteCode: unknown): void {
    const allowed = allowedTypes(this.draft, parent)
    if (allowed.length === 0) throw apiError(LOCATION_MESSAGES.parentNoChildren, siteCode)
    if (!allowed.some(t => t.code === loc.location_type)) throw apiError(LOCATION_MESSAGES.parentWrongType, siteCode)
    this.validateUniqueAmongSiblings(loc, loc.name, parent, siteCode)
  }

  /** HQ's `has_siblings_with_name`: archived siblings count. */
  private validateUniqueAmongSiblings (loc: Location, name: string, parent: Parent, siteCode: unknown): void {
    const pid = parentId(parent)
    if (this.draft.others(loc).some(l => l.name === name && l.parent === pid)) {
      throw apiError(LOCATION_MESSAGES.siblingName, siteCode)
    }
  }

  /** Every other location's site code, lowercased (archived ones too). */
  private otherCodes (loc: Location): Set<string> {
    return new Set(this.draft.others(loc).map(l => l.site_code.toLowerCase()))
  }

  /** HQ's `validate_site_code`: lowercased, word characters only, unique in the domain ignoring case. */
  private validateSiteCode (loc: Location, raw: unknown): string {
    if (typeof raw !== 'string') throw hqFails(`'site_code' is ${jsonKind(raw)}, not a string: HQ's validate_site_code calls .lower() on it`)
    const code = raw.toLowerCase()
    if (!SITE_CODE.test(code)) throw apiError(LOCATION_MESSAGES.siteCodeChars)
    if (this.otherCodes(loc).has(code)) throw apiError(LOCATION_MESSAGES.siteCodeTaken)
    return code
  }

  /** HQ's `get_location_type`: the type by code or name, allowed under the parent, unchanged when the location has children. */
  private locationType (loc: Location, parent: Parent, raw: unknown, isNew: boolean): string {
    const allowed = allowedTypes(this.draft, parent)
    if (allowed.length === 0) throw apiError(LOCATION_MESSAGES.parentNoChildren)
    let type: LocationType
    if (!truthy(raw)) {
      if (allowed.length !== 1) throw apiError(LOCATION_MESSAGES.selectType)
      type = allowed[0]
    } else {
      const wanted = pyText(raw)
      const matches = this.draft.types.filter(t => t.code === wanted || t.name === wanted)
      if (matches.length === 0) throw apiError(LOCATION_MESSAGES.typeNotFound(wanted))
      if (matches.length > 1) throw hqFails(`'${wanted}' is the code or name of ${matches.length} location types: Django's .get() raises MultipleObjectsReturned`)
      type = matches[0]
      if (!allowed.includes(type)) throw apiError(LOCATION_MESSAGES.typeNotValid)
    }
    const hasChildren = !isNew && this.draft.locations.some(l => l.parent === loc.id)
    if (hasChildren && type.code !== loc.location_type) throw apiError(LOCATION_MESSAGES.typeWithChildren)
    return type.code
  }

  /** HQ's tree cannot hold a loop; only a seed whose types and locations disagree lets a move get this far. */
  private refuseLoop (loc: Location): void {
    const seen = new Set<Location>()
    for (let up = loc.parent; up !== null;) {
      const p = this.draft.byId.get(up)
      if (p === undefined) return
      if (p === loc || seen.has(p)) {
        throw serverError(`the new parent would make location '${loc.id}' its own ancestor; the seed's location types let this move through, HQ's location tree would fail on it`)
      }
      seen.add(p)
      up = p.parent
    }
  }
}

// ---- the three writes -------------------------------------------------------------------

/** POST on the list: a new location (201 with it). */
export function planLocationCreate (ctx: LocationWriteContext, body: Record<string, unknown>): LocationWritePlan {
  const draft = new Draft(ctx.domain)
  const saved = [new LocationUpdate(draft, ctx).create(body)]
  return { apply: () => draft.commit(saved) }
}

/** PUT on a location (200 with it). */
export function planLocationUpdate (ctx: LocationWriteContext, id: string, body: Record<string, unknown>): LocationWritePlan {
  const draft = new Draft(ctx.domain)
  const saved = [new LocationUpdate(draft, ctx).updateExisting(body, id)]
  return { apply: () => draft.commit(saved) }
}

/**
 * PATCH on the list: `{"objects": [...]}`, at most 100 items, each an update
 * (with `location_id`) or a create, in order, all or nothing (HQ's `@atomic`
 * `patch_list`): the first refused item's error is the answer.
 */
export function planLocationPatch (ctx: LocationWriteContext, body: unknown): LocationWritePlan {
  const objects = patchObjects(body)
  const draft = new Draft(ctx.domain)
  const update = new LocationUpdate(draft, ctx)
  const saved: Location[] = []
  objects.forEach((item, i) => {
    if (!isPlainObject(item)) {
      throw hqFails(`item ${i + 1} of 'objects' is ${jsonKind(item)}, not an object: tastypie's bundle cannot read it`)
    }
    try {
      saved.push(Object.hasOwn(item, 'location_id') ? update.updateExisting(item, null) : update.create(item))
    } catch (err) {
      if (!(err instanceof HqError)) throw err
      throw new HqError(err.status, err.body, `item ${i + 1} of ${objects.length} was refused, so the whole batch was (HQ's patch_list is atomic): ${err.reason}`, err.headers)
    }
  })
  return { apply: () => draft.commit(saved) }
}

/** tastypie's checks before the items: `objects` present, at most `patch_limit` of them. */
function patchObjects (body: unknown): unknown[] {
  // Python's `'objects' in body`: a key of a dict, an item of a list, a substring of a string.
  const holds = isPlainObject(body)
    ? Object.hasOwn(body, 'objects')
    : Array.isArray(body) ? body.includes('objects') : typeof body === 'string' ? body.includes('objects') : null
  if (holds === null) throw hqFails(`the body is JSON ${body === null ? 'null' : typeof body}: tastypie's "'objects' in data" raises TypeError`)
  if (!holds) throw badRequest(LOCATION_MESSAGES.missingObjects, "the PATCH body has no 'objects' key; nothing was changed")
  if (!isPlainObject(body)) throw hqFails(`the body is ${jsonKind(body)} holding 'objects', which tastypie then indexes like a dict`)
  const objects = body.objects
  let items: unknown[]
  if (Array.isArray(objects)) items = objects
  else if (typeof objects === 'string') items = [...objects]
  else if (isPlainObject(objects)) items = Object.keys(objects)
  else throw hqFails(`'objects' is ${jsonKind(objects)}: tastypie's len() of it raises TypeError`)
  if (items.length > PATCH_LIMIT) {
    throw badRequest(LOCATION_MESSAGES.patchLimit, `the PATCH holds ${items.length} items; HQ takes at most ${PATCH_LIMIT}; nothing was changed`)
  }
  return items
}
