import t, { type Test } from 'tap'
import { build, ADMIN, CANNED_500, LOC_KIBERA as K, LOC_NAIROBI as N, LOC_WESTLANDS as W } from '../helpers/app.js'
import { locationStore } from '../helpers/location-seed.js'

// Every list filter, ordering and filter error of both location shapes
// (BEHAVIOR.md §9.2, §9.3; R2 §E.4). The store is the bundled seed plus an
// archived ward in demo, which no filter ever brings back.
//
// Demo's locations: Nairobi (county, created and modified 2024-01-15T09:00,
// -1.2921 / 36.8219), Kibera (ward under Nairobi, created 09:05, modified
// 2024-03-02T11:20, external id KE-047-KIB), Westlands (ward under Nairobi,
// created and modified 09:06).

const H = { authorization: ADMIN }
const V05_URLS = ['/a/demo/api/v0.5/location/', '/a/demo/api/location/v1/']
const V2_URLS = ['/a/demo/api/v0.6/location/', '/a/demo/api/location/v2/']

/** Expected: the listed location ids in order, an error message (400), or 500 (the canned body). */
type Want = string[] | string | 500
const err = (s: string): string => s
const invalidFormat = (v: string): string => `['“${v}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.']`
const notDecimal = (v: string): string => `['“${v}” value must be a decimal number.']`
const MISMATCHED = 'Invalid resource lookup data provided (mismatched type).'

const V05_CASES: Array<[string, Want]> = [
  // exact on site_code and external_id; None from `none`
  ['site_code=kibera', [K]],
  ['site_code__exact=kibera', [K]],
  ['site_code=Kibera', []],
  ['external_id=KE-047-KIB', [K]],
  ['external_id=none', [N, W]],
  ['external_id=None', [N, W]],
  // datetimes: every lookup; a date is midnight; an offset is dropped, not converted
  ['created_at=2024-01-15T09:05:00', [K]],
  ['created_at__exact=2024-01-15 09:05', [K]],
  ['created_at__gt=2024-01-15T09:00', [K, W]],
  ['created_at__gte=2024-01-15T09:00:00', [N, K, W]],
  ['created_at__lt=2024-01-15%2009:05', [N]],
  ['created_at__lte=2024-01-15T09:05:00.000000', [N, K]],
  ['created_at__gt=2024-01-15', [N, K, W]],
  ['created_at__lt=2024-01-15', []],
  ['last_modified__gte=2024-03-01', [K]],
  ['last_modified__gt=2024-01-15T09:00:00Z', [K, W]],
  ['last_modified__gt=2024-01-15T11:00:00%2B02:00', [K]],
  ['last_modified__gt=2024-1-5%209:0', [N, K, W]],
  ['last_modified__in=2024-01-15T09:00:00,2024-01-15T09:06:00', [N, W]],
  ['last_modified__in=2024-01-15T09:00:00&last_modified__in=2024-03-02T11:20:00', [N, K]],
  ['last_modified__in=', []],
  ['created_at__range=2024-01-15T09:01,2024-01-15T09:06', [K, W]],
  ['created_at__isnull=false', [N, K, W]],
  ['created_at__isnull=true', []],
  // decimals, compared exactly
  ['latitude__isnull=true', [K, W]],
  ['latitude__isnull=False', [N]],
  ['latitude=-1.2921', [N]],
  ['latitude=-1.292100', [N]],
  ['latitude__lt=0', [N]],
  ['latitude__gt=-1.3e0', [N]],
  ['latitude__gte=-1.2921', [N]],
  ['latitude__lt=-1.2921', []],
  ['longitude__range=36,37', [N]],
  ['longitude__in=1,36.8219', [N]],
  ['latitude=none', [K, W]],
  ['latitude=true', []],
  ['latitude__gt=%201_000%20', []],
  // several filters: all apply
  ['created_at__gt=2024-01-15T09:00&latitude__isnull=true&site_code=westlands', [W]],
  // ignored: dotted names, names of no field, the URL's domain, credentials and paging
  ['last_modified.gte=2099-01-01', [N, K, W]],
  ['foo=1&format=json&username=x&api_key=y', [N, K, W]],
  ['domain=other', [N, K, W]],
  ['domain__exact=other', []],
  ['domain__exact=demo', [N, K, W]],
  // refused filters
  ['name=Kibera', err("The 'name' field does not allow filtering.")],
  ['id=1', err("The 'id' field does not allow filtering.")],
  ['location_id=x', err("The 'location_id' field does not allow filtering.")],
  ['location_type=1', err("The 'location_type' field does not allow filtering.")],
  ['location_type__code=ward', err("The 'location_type' field does not allow filtering.")],
  ['parent=x', err("The 'parent' field does not allow filtering.")],
  ['location_data=x', err("The 'location_data' field does not allow filtering.")],
  ['resource_uri=x', err("The 'resource_uri' field does not allow filtering.")],
  ['site_code__in=a,b', err("'in' is not an allowed filter on the 'site_code' field.")],
  ['external_id__gt=x', err("'gt' is not an allowed filter on the 'external_id' field.")],
  ['domain__gt=a', err("'gt' is not an allowed filter on the 'domain' field.")],
  ['site_code__foo=x', err("The 'site_code' field does not support relations.")],
  ['last_modified__foo=x', err("The 'last_modified' field does not support relations.")],
  ['last_modified__gte__lt=x', err("The 'last_modified' field does not support relations.")],
  // values Django refuses
  ['created_at=yesterday', err(invalidFormat('yesterday'))],
  ['created_at__gt=', err(invalidFormat(''))],
  ['created_at__gt=2024-02-30', err("['“2024-02-30” value has the correct format (YYYY-MM-DD) but it is an invalid date.']")],
  ['created_at__gt=2024-02-30T10:00', err("['“2024-02-30T10:00” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid date/time.']")],
  ['created_at__in=2024-01-01,bad', err(invalidFormat('bad'))],
  ['created_at__range=a,b', err(invalidFormat('a'))],
  ["created_at=it's", err('["“it\'s” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."]')],
  ['created_at=%3Cb%3E', err(invalidFormat('&lt;b&gt;'))],
  ['latitude__gt=north', err(notDecimal('north'))],
  ['latitude=NaN', err(notDecimal('NaN'))],
  ['longitude__lt=Infinity', err(notDecimal('Infinity'))],
  ['last_modified__gt=none', err(MISMATCHED)],
  ['latitude__isnull=None', err(MISMATCHED)],
  // the order of the checks: names first (query order), then values (Django's sorted filter names)
  ['latitude__gt=x&created_at__gt=y', err(invalidFormat('y'))],
  ['created_at__gt=bad&name=x', err("The 'name' field does not allow filtering.")],
  ['name=x&id=1', err("The 'name' field does not allow filtering.")],
  // lookups Django has that the mock does not implement
  ['created_at__year=2024', err("The mock does not implement the 'year' lookup; use one of exact, gt, gte, lt, lte, in, range, isnull.")],
  ['latitude__contains=1', err("The mock does not implement the 'contains' lookup; use one of exact, gt, gte, lt, lte, in, range, isnull.")],
  // nothing orders on v0.5
  ['order_by=name', err("The 'name' field does not allow ordering.")],
  ['order_by=-last_modified', err("The 'last_modified' field does not allow ordering.")],
  ['order_by=zzz', err("No matching 'zzz' field for ordering on.")],
  ['order_by=', err("No matching '' field for ordering on.")],
  ['order_by=zzz&name=x', err("The 'name' field does not allow filtering.")],
  // HQ's unhandled errors: the canned 500, after every 400
  ['latitude__isnull=maybe', 500],
  ['created_at__range=2024-01-01', 500],
  ['created_at__range=', 500],
  ['created_at__range=2024-01-01,2024-01-02,2024-01-03', 500],
  ['created_at__in=true', 500],
  ['latitude__range=none', 500],
  ['created_at=true', 500],
  ['latitude__isnull=maybe&limit=x', err("Invalid limit 'x' provided. Please provide a positive integer.")],
  ['latitude__isnull=maybe&created_at=bad', err(invalidFormat('bad'))]
]

const V2_CASES: Array<[string, Want]> = [
  ['location_type_code=ward', [K, W]],
  ['location_type_code=county', [N]],
  ['location_type_code=nope', []],
  ['location_type_code=', [N, K, W]],
  [`parent_location_id=${N}`, [K, W]],
  ['parent_location_id=nope', []],
  [`location_type_code=ward&parent_location_id=${N}&name=Westlands`, [W]],
  ['name=Kibera', [K]],
  ['name.exact=Kibera', [K]],
  ['name__exact=Kibera', [K]],
  ['site_code=westlands', [W]],
  ['last_modified.gte=2024-02-01', [K]],
  ['last_modified__gte=2024-02-01', [K]],
  ['last_modified.gte=2020-01-01&last_modified.lt=2024-03-01', [N, W]],
  ['last_modified.gt=2024-03-01&last_modified.lte=2024-02-28', []],
  ['last_modified.gt=2024-01-15T09:00:00', [K, W]],
  ['last_modified.lte=2024-01-15T09:06', [N, W]],
  ['last_modified.gte=2024-02-01&last_modified__gte=2020-01-01', [N, K, W]],
  // not fields of v2: ignored
  ['created_at=bad&external_id=x&id=1&location_type_name=Ward', [N, K, W]],
  ['domain=other', [N, K, W]],
  ['domain.exact=other', []],
  // ordering
  ['order_by=last_modified', [N, W, K]],
  ['order_by=-last_modified', [K, W, N]],
  ['sort_by=-last_modified', [K, W, N]],
  ['order_by=-last_modified&location_type_code=ward', [K, W]],
  // refused
  ['latitude=1', err("The 'latitude' field does not allow filtering.")],
  ['longitude.gt=1', err("The 'longitude' field does not allow filtering.")],
  ['location_id=x', err("The 'location_id' field does not allow filtering.")],
  ['location_data=x', err("The 'location_data' field does not allow filtering.")],
  ['last_modified=2024-01-01', err("'exact' is not an allowed filter on the 'last_modified' field.")],
  ['last_modified.exact=2024-01-01', err("'exact' is not an allowed filter on the 'last_modified' field.")],
  ['last_modified.in=2024-01-01', err("'in' is not an allowed filter on the 'last_modified' field.")],
  ['last_modified.foo=2024-01-01', err("'exact' is not an allowed filter on the 'last_modified' field.")],
  ['name.in=a', err("'in' is not an allowed filter on the 'name' field.")],
  ['name.foo=a', err("The 'name' field does not support relations.")],
  ['last_modified.gte=bad', err(invalidFormat('bad'))],
  ['last_modified__lt=2024-13-01', err("['“2024-13-01” value has the correct format (YYYY-MM-DD) but it is an invalid date.']")],
  ['last_modified.gt=none', err(MISMATCHED)],
  ['order_by=name', err("The 'name' field does not allow ordering.")],
  ['order_by=location_type_code', err("No matching 'location_type_code' field for ordering on.")],
  ['order_by=last_modified&order_by=site_code', err("The 'site_code' field does not allow ordering.")],
  ['order_by=last_modified__year', 500],
  ['last_modified.gte=true', 500]
]

async function check (t: Test, urls: string[], cases: Array<[string, Want]>): Promise<void> {
  const app = await build(t, { store: await locationStore(t) })
  for (const url of urls) {
    for (const [query, want] of cases) {
      const res = await app.inject({ url: `${url}?${query}`, headers: H })
      const label = `${url}?${query}`
      if (Array.isArray(want)) {
        t.equal(res.statusCode, 200, label)
        const body = res.json()
        t.strictSame(body.objects.map((l: { location_id: string }) => l.location_id), want, label)
        t.equal(body.meta.total_count, want.length)
      } else if (want === 500) {
        t.equal(res.statusCode, 500, label)
        t.strictSame(res.json(), CANNED_500, label)
        t.match(res.headers['x-mock-reason'], /^HQ fails unhandled here/)
      } else {
        t.equal(res.statusCode, 400, label)
        t.strictSame(res.json(), { error: want }, label)
        t.equal(res.headers['content-type'], 'application/json')
        t.ok(res.headers['x-mock-reason'], 'a reason')
      }
    }
  }
}

t.test('v0.5 shape: field__lookup filters on site_code, external_id, created_at, last_modified, latitude, longitude', async t => {
  await check(t, V05_URLS, V05_CASES)
})

t.test('v2 shape: field.lookup and field__lookup, location_type_code, parent_location_id, order_by', async t => {
  await check(t, V2_URLS, V2_CASES)
})

t.test('filters and paging: the links keep the filters', async t => {
  const app = await build(t)
  const page = (await app.inject({ url: '/a/demo/api/location/v2/?location_type_code=ward&limit=1', headers: H })).json()
  t.strictSame(page.meta, { limit: 1, next: '?location_type_code=ward&limit=1&offset=1', offset: 0, previous: null, total_count: 2 })
  t.strictSame(page.objects.map((l: { location_id: string }) => l.location_id), [K])
  const second = (await app.inject({ url: `/a/demo/api/location/v2/${page.meta.next as string}`, headers: H })).json()
  t.strictSame(second.objects.map((l: { location_id: string }) => l.location_id), [W])
  const byDate = (await app.inject({ url: '/a/demo/api/v0.5/location/?last_modified__lt=2024-02-01&limit=1&offset=1', headers: H })).json()
  t.strictSame(byDate.meta, { limit: 1, next: null, offset: 1, previous: '?last_modified__lt=2024-02-01&limit=1&offset=0', total_count: 2 })
})

t.test("Django's datetime reading (fromisoformat, then Django's patterns)", async t => {
  const { parseDjangoDatetime, pyRepr } = await import('../../src/commcare/location-filters.js')
  const ok: Array<[string, string]> = [
    ['2024-01-15', '2024-01-15 00:00:00.000000'],
    ['20240115', '2024-01-15 00:00:00.000000'],
    ['2024-01-15T09', '2024-01-15 09:00:00.000000'],
    ['2024-01-15 09:05', '2024-01-15 09:05:00.000000'],
    ['2024-01-15x09:05:07', '2024-01-15 09:05:07.000000'],
    ['2024-01-15T09:05:07.5', '2024-01-15 09:05:07.500000'],
    ['2024-01-15T09:05:07,123456789', '2024-01-15 09:05:07.123456'],
    ['2024-01-15T09:05:07Z', '2024-01-15 09:05:07.000000'],
    ['2024-01-15T09:05:07-0530', '2024-01-15 09:05:07.000000'],
    ['2024-1-5 9:5', '2024-01-05 09:05:00.000000'],
    ['2024-01-15 09:05 +02', '2024-01-15 09:05:00.000000'],
    ['2024-02-29', '2024-02-29 00:00:00.000000']
  ]
  for (const [v, want] of ok) t.equal(parseDjangoDatetime(v), want, v)
  const bad: Array<[string, RegExp]> = [
    ['2023-02-29', /invalid date\.$/],
    ['2024-01-15T25:00', /invalid date\/time\.$/],
    ['2024-01-15T', /invalid format/],
    ['15/01/2024', /invalid format/],
    ['2024-01-15T09:05:07+25:00', /invalid date\/time\.$/],
    ['2024-01-15 09:05 +24', /invalid date\/time\.$/]
  ]
  for (const [v, re] of bad) {
    let reason = 'no error'
    try {
      parseDjangoDatetime(v)
    } catch (e) {
      reason = (e as Error).message
    }
    t.match(reason, re, v)
  }
  t.equal(pyRepr('plain'), "'plain'")
  t.equal(pyRepr("it's"), '"it\'s"')
  t.equal(pyRepr('both \' and "'), "'both \\' and \"'")
  t.equal(pyRepr('a\\b\n\u0001'), "'a\\\\b\\n\\x01'")
})
