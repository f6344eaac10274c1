import { BRIAN, DAVID, JDOE, MARY } from '../helpers/app.js'

// The hostile inputs of the README table "What bad input gets". Each case is a
// request and the answer the mock gives; `changes` marks the cases that are
// valid writes (the store is expected to change), all others must change nothing.

export interface HostileCase {
  /** The row name in the README table. */
  name: string
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'
  url: string
  headers?: Record<string, string>
  /** Body text; JSON.stringify'd when not a string or Buffer. */
  body?: unknown
  /** Sent over a raw socket, byte for byte (for what HTTP clients refuse to send). */
  raw?: string
  status: number
  /** A check of the answer's body. */
  body_is?: 'empty' | 'canned' | { error: RegExp } | 'user' | 'list'
  /** The request is a valid write: the store changes. */
  changes?: boolean
}

const USER = `/a/demo/api/v0.5/user/${JDOE}/`
const LIST = '/a/demo/api/v0.5/user/'
const JSON_CT = { 'content-type': 'application/json' }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const FORM_CREDS = 'username=admin%40example.org&api_key=demo-api-key'
const UNKNOWN = 'ffffffffffffffffffffffffffffffff'
const VIEWER_ID = 'b6850d9e9999b6e164e6fff5115ddc12'
const ALLOWLISTED = 'ApiKey admin@example.org:allowlisted-api-key'
const BASIC = (credentials: string): string => 'Basic ' + Buffer.from(credentials).toString('base64')

function nested (depth: number): string {
  return '{"user_data": ' + '{"a": '.repeat(depth) + '1' + '}'.repeat(depth) + '}'
}

const NOT_JSON = { error: /^Request is not valid JSON\.$/ }
const NOT_OBJECT = { error: /must be a JSON object/ }
const UNKNOWN_FIELD = (k: string) => ({ error: new RegExp(`unknown or non-editable field '${k}'`) })

export const CASES: HostileCase[] = [
  // Bodies that are not JSON objects.
  { name: 'malformed JSON', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": "x",}', status: 400, body_is: NOT_JSON },
  { name: 'truncated JSON', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": "Tr', status: 400, body_is: NOT_JSON },
  { name: 'single quotes', method: 'PUT', url: USER, headers: JSON_CT, body: "{'first_name': 'x'}", status: 400, body_is: NOT_JSON },
  { name: 'empty body', method: 'PUT', url: USER, headers: JSON_CT, body: '', status: 400, body_is: NOT_JSON },
  { name: 'DELETE with Content-Type JSON and no body', method: 'DELETE', url: `/a/demo/api/v0.5/user/${DAVID}/`, headers: JSON_CT, body: '', status: 204, body_is: 'empty', changes: true },
  { name: 'deactivate with Content-Type JSON and no body', method: 'POST', url: `/a/demo/api/v0.5/user/${BRIAN}/deactivate/`, headers: JSON_CT, body: '', status: 202, changes: true },
  { name: 'whitespace body', method: 'PUT', url: USER, headers: JSON_CT, body: ' \n ', status: 400, body_is: NOT_JSON },
  { name: 'array body', method: 'PUT', url: USER, headers: JSON_CT, body: '[{"first_name": "x"}]', status: 400, body_is: NOT_OBJECT },
  { name: 'string body', method: 'PUT', url: USER, headers: JSON_CT, body: '"first_name"', status: 400, body_is: NOT_OBJECT },
  { name: 'number body', method: 'PUT', url: USER, headers: JSON_CT, body: '42', status: 400, body_is: NOT_OBJECT },
  { name: 'null body', method: 'PUT', url: USER, headers: JSON_CT, body: 'null', status: 400, body_is: NOT_OBJECT },
  { name: 'true body', method: 'PUT', url: USER, headers: JSON_CT, body: 'true', status: 400, body_is: NOT_OBJECT },
  { name: 'two JSON documents', method: 'PUT', url: USER, headers: JSON_CT, body: '{}{}', status: 400, body_is: NOT_JSON },
  { name: 'raw NUL byte in the JSON text', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": "a\u0000b"}', status: 400, body_is: NOT_JSON },
  { name: 'invalid UTF-8 bytes', method: 'PUT', url: USER, headers: JSON_CT, body: Buffer.from([0x7b, 0x22, 0x66, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), status: 400, body_is: UNKNOWN_FIELD('f\ufffd\ufffd') },
  // Content types.
  { name: 'Content-Type text/plain', method: 'PUT', url: USER, headers: { 'content-type': 'text/plain' }, body: '{"first_name": "x"}', status: 415, body_is: 'canned' },
  { name: 'Content-Type form-urlencoded', method: 'PUT', url: USER, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'first_name=x', status: 415, body_is: 'canned' },
  { name: 'Content-Type multipart/form-data', method: 'PUT', url: USER, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415, body_is: 'canned' },
  { name: 'Content-Type application/jsonp', method: 'PUT', url: USER, headers: { 'content-type': 'application/jsonp' }, body: '{"first_name": "x"}', status: 415, body_is: 'canned' },
  { name: 'Content-Type application/xml', method: 'PUT', url: USER, headers: { 'content-type': 'application/xml' }, body: '<user/>', status: 415, body_is: 'canned' },
  { name: 'Content-Type with an odd charset', method: 'PUT', url: USER, headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"first_name": "Charset"}', status: 200, body_is: 'user', changes: true },
  { name: 'no Content-Type, JSON body', method: 'PUT', url: USER, body: '{"first_name": "Untyped"}', status: 200, body_is: 'user', changes: true },
  // Size and shape.
  { name: 'body over the limit (6 MB)', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": "' + 'x'.repeat(6 * 1024 * 1024) + '"}', status: 413, body_is: 'empty' },
  { name: '10,000-level nesting', method: 'PUT', url: USER, headers: JSON_CT, body: nested(10_000), status: 500, body_is: 'canned' },
  { name: '900-level nesting in user_data', method: 'PUT', url: USER, headers: JSON_CT, body: nested(900), status: 200, body_is: 'user', changes: true },
  { name: '1 MB string', method: 'PUT', url: USER, headers: JSON_CT, body: { first_name: 'y'.repeat(1024 * 1024) }, status: 200, body_is: 'user', changes: true },
  { name: '100,000 phone numbers', method: 'PUT', url: USER, headers: JSON_CT, body: { phone_numbers: Array.from({ length: 100_000 }, (_, i) => `+2547${String(i).padStart(8, '0')}`) }, status: 200, body_is: 'user', changes: true },
  { name: '10,000 user_data keys', method: 'PUT', url: USER, headers: JSON_CT, body: { user_data: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])) }, status: 200, body_is: 'user', changes: true },
  // Odd text.
  { name: 'escaped NUL in strings', method: 'PUT', url: USER, headers: JSON_CT, body: { first_name: 'a\u0000b', user_data: { 'k\u0000': '\u0000' } }, status: 200, body_is: 'user', changes: true },
  { name: 'emoji and right-to-left text', method: 'PUT', url: USER, headers: JSON_CT, body: { first_name: '👩🏽‍⚕️ Amina', last_name: 'حسن\u202eabc', user_data: { ملاحظة: 'שלום 🌍' } }, status: 200, body_is: 'user', changes: true },
  { name: 'lone surrogate', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": "\\ud800"}', status: 200, body_is: 'user', changes: true },
  { name: 'control characters in a key', method: 'PUT', url: USER, headers: JSON_CT, body: { 'first_name\r\nX-Injected: 1': 'x' }, status: 400, body_is: { error: /unknown or non-editable field 'first_name\r\nX-Injected: 1'/ } },
  // Prototype keys at every level.
  { name: '__proto__ at the top level', method: 'PUT', url: USER, headers: JSON_CT, body: '{"__proto__": {"polluted": "yes"}}', status: 400, body_is: UNKNOWN_FIELD('__proto__') },
  { name: 'constructor at the top level', method: 'PUT', url: USER, headers: JSON_CT, body: '{"constructor": {"prototype": {"polluted": "yes"}}}', status: 400, body_is: UNKNOWN_FIELD('constructor') },
  { name: 'prototype at the top level', method: 'PUT', url: USER, headers: JSON_CT, body: '{"prototype": {"polluted": "yes"}}', status: 400, body_is: UNKNOWN_FIELD('prototype') },
  { name: '__proto__ inside user_data', method: 'PUT', url: USER, headers: JSON_CT, body: '{"user_data": {"__proto__": {"polluted": "yes"}, "constructor": "c", "prototype": "p"}}', status: 200, body_is: 'user', changes: true },
  { name: '__proto__ deep inside a user_data value', method: 'PUT', url: USER, headers: JSON_CT, body: '{"user_data": {"a": {"b": {"__proto__": {"polluted": "yes"}}}}}', status: 200, body_is: 'user', changes: true },
  { name: '__proto__ as a scalar field value', method: 'PUT', url: USER, headers: JSON_CT, body: '{"first_name": {"__proto__": {"polluted": "yes"}}}', status: 500, body_is: 'canned' },
  { name: '__proto__ as a group id', method: 'PUT', url: USER, headers: JSON_CT, body: { groups: ['__proto__', 'constructor'] }, status: 400, body_is: { error: /^\['Unable to save groups\. The following group_ids are not in the current domain: __proto__, constructor'\]$/ } },
  { name: 'constructor as a location id', method: 'PUT', url: USER, headers: JSON_CT, body: { locations: ['constructor'], primary_location: 'constructor' }, status: 400, body_is: { error: /Could not find location ids: constructor\./ } },
  { name: '__proto__ as a profile id', method: 'PUT', url: USER, headers: JSON_CT, body: { user_data: { commcare_profile: '__proto__' } }, status: 400, body_is: { error: /User data profile not found/ } },
  { name: 'toString as a role', method: 'PUT', url: USER, headers: JSON_CT, body: { role: 'toString' }, status: 400, body_is: { error: /The role 'toString' does not exist/ } },
  { name: '__proto__ in the query string', method: 'GET', url: LIST + '?__proto__=x&constructor=y&limit=1', status: 200, body_is: 'list' },
  { name: '__proto__ as a domain', method: 'GET', url: '/a/__proto__/api/v0.5/user/', status: 404, body_is: 'empty' },
  { name: 'constructor as a domain', method: 'GET', url: '/a/constructor/api/v0.5/user/', status: 404, body_is: 'empty' },
  { name: '__proto__ as a user id', method: 'PUT', url: '/a/demo/api/v0.5/user/__proto__/', headers: JSON_CT, body: { first_name: 'x' }, status: 500, body_is: 'canned' },
  // Odd ids and domains.
  { name: 'id .. (sent as is)', method: 'GET', url: '/a/demo/api/v0.5/user/../', raw: 'GET /a/demo/api/v0.5/user/../ HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:demo-api-key\r\nConnection: close\r\n\r\n', status: 400 },
  { name: 'id %2E%2E (sent as is)', method: 'PUT', url: '/a/demo/api/v0.5/user/%2E%2E/', raw: 'PUT /a/demo/api/v0.5/user/%2E%2E/ HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:demo-api-key\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}', status: 500 },
  { name: 'id with %2F', method: 'GET', url: '/a/demo/api/v0.5/user/..%2F..%2Fglobal.json/', status: 400, body_is: { error: /CommCareUser\(username=None\)/ } },
  { name: 'PUT id with %2F', method: 'PUT', url: `/a/demo/api/v0.5/user/..%2Fother%2F${MARY}/`, headers: JSON_CT, body: { first_name: 'x' }, status: 500, body_is: 'canned' },
  { name: 'id with %00', method: 'GET', url: `/a/demo/api/v0.5/user/${JDOE}%00/`, status: 400, body_is: { error: /CommCareUser\(username=None\)/ } },
  { name: 'id with %0D%0A', method: 'PUT', url: '/a/demo/api/v0.5/user/x%0D%0AX-Injected:%201/', headers: JSON_CT, body: { first_name: 'x' }, status: 500, body_is: 'canned' },
  { name: 'id of 10,000 characters', method: 'GET', url: `/a/demo/api/v0.5/user/${'a'.repeat(10_000)}/`, status: 400, body_is: { error: /CommCareUser\(username=None\)/ } },
  { name: 'PUT to an id of 10,000 characters', method: 'PUT', url: `/a/demo/api/v0.5/user/${'a'.repeat(10_000)}/`, headers: JSON_CT, body: { first_name: 'x' }, status: 500, body_is: 'canned' },
  { name: 'id of 20,000 characters', method: 'GET', url: '/a/demo/api/v0.5/user/', raw: `GET /a/demo/api/v0.5/user/${'a'.repeat(20_000)}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, status: 431 },
  { name: 'id of 20,000 characters, in-process', method: 'GET', url: `/a/demo/api/v0.5/user/${'a'.repeat(20_000)}/`, status: 414, body_is: 'empty' },
  { name: 'malformed percent-encoding in the id', method: 'GET', url: '/a/demo/api/v0.5/user/%E0%A4%A/', status: 400, body_is: 'empty' },
  { name: 'id of another domain', method: 'PUT', url: `/a/demo/api/v0.5/user/${MARY}/`, headers: JSON_CT, body: { first_name: 'x' }, status: 500, body_is: 'canned' },
  { name: 'domain in capitals', method: 'GET', url: '/a/DEMO/api/v0.5/user/', status: 404, body_is: 'empty' },
  { name: 'domain ..', method: 'GET', url: '/a/../api/v0.5/user/', status: 404, body_is: 'empty' },
  { name: 'domain with %2F', method: 'GET', url: '/a/demo%2F..%2Fother/api/v0.5/user/', status: 404, body_is: 'empty' },
  { name: 'domain of 300 characters', method: 'GET', url: `/a/${'d'.repeat(300)}/api/v0.5/user/`, status: 404, body_is: 'empty' },
  { name: 'domain with markup', method: 'GET', url: '/a/%3Cscript%3E/api/v0.5/user/', status: 404, body_is: 'empty' },
  // Paging.
  { name: 'repeated limit', method: 'GET', url: LIST + '?limit=1&limit=2', status: 200, body_is: 'list' },
  { name: 'repeated limit, last one bad', method: 'GET', url: LIST + '?limit=2&limit=abc', status: 400, body_is: { error: /^Invalid limit 'abc' provided\. Please provide a positive integer\.$/ } },
  { name: 'limit of 20 digits', method: 'GET', url: LIST + '?limit=99999999999999999999', status: 200, body_is: 'list' },
  { name: 'limit -1', method: 'GET', url: LIST + '?limit=-1', status: 400, body_is: { error: /positive integer &gt;= 0/ } },
  { name: 'limit 1e3', method: 'GET', url: LIST + '?limit=1e3', status: 400, body_is: { error: /Invalid limit '1e3'/ } },
  { name: 'limit empty', method: 'GET', url: LIST + '?limit=', status: 400, body_is: { error: /Invalid limit ''/ } },
  { name: 'offset past the end', method: 'GET', url: LIST + '?offset=1000000', status: 200, body_is: 'list' },
  { name: 'offset -5', method: 'GET', url: LIST + '?offset=-5', status: 400, body_is: { error: /Invalid offset '-5' provided\. Please provide a positive integer &gt;= 0\./ } },
  { name: 'offset NaN', method: 'GET', url: LIST + '?offset=NaN', status: 400, body_is: { error: /Invalid offset 'NaN' provided\. Please provide an integer\./ } },
  { name: 'offset with markup', method: 'GET', url: LIST + '?offset=%3Cb%3E', status: 400, body_is: { error: /Invalid offset '&lt;b&gt;'/ } },
  // Credentials: an API key as the Basic password, X-Forwarded-For, form bodies.
  { name: 'API key as the Basic password', method: 'GET', url: LIST, headers: { authorization: BASIC('admin@example.org:demo-api-key') }, status: 200, body_is: 'list' },
  { name: 'expired API key as the Basic password', method: 'GET', url: LIST, headers: { authorization: BASIC('admin@example.org:expired-api-key') }, status: 401, body_is: 'empty' },
  { name: 'Basic credentials without a colon', method: 'GET', url: LIST, headers: { authorization: BASIC('admin@example.org') }, status: 401, body_is: 'empty' },
  { name: 'Basic credentials that are not base64', method: 'GET', url: LIST, headers: { authorization: 'Basic %%%\u00ff' }, status: 401, body_is: 'empty' },
  { name: 'X-Forwarded-For of 10,000 characters', method: 'GET', url: LIST, headers: { authorization: ALLOWLISTED, 'x-forwarded-for': '1'.repeat(10_000) }, status: 401, body_is: 'empty' },
  { name: 'X-Forwarded-For with markup and CRLF', method: 'GET', url: LIST, headers: { authorization: ALLOWLISTED, 'x-forwarded-for': '<script>%0D%0AX-Injected: 1' }, status: 401, body_is: 'empty' },
  { name: 'X-Forwarded-For of 10,000 commas', method: 'GET', url: LIST, headers: { authorization: ALLOWLISTED, 'x-forwarded-for': ','.repeat(10_000) }, status: 401, body_is: 'empty' },
  { name: 'X-Forwarded-For with the allowlisted address first', method: 'GET', url: LIST, headers: { authorization: ALLOWLISTED, 'x-forwarded-for': '203.0.113.7, <b>' }, status: 200, body_is: 'list' },
  { name: 'form credentials on a route that reads no body', method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { authorization: '', ...FORM }, body: FORM_CREDS, status: 404, body_is: 'canned' },
  { name: 'form credentials on a create', method: 'POST', url: LIST, headers: { authorization: '', ...FORM }, body: FORM_CREDS + '&password=x', status: 415, body_is: 'canned' },
  { name: 'form credentials with a wrong key', method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { authorization: '', ...FORM }, body: 'username=admin%40example.org&api_key=wrong', status: 401, body_is: 'empty' },
  { name: 'form body of 10,000 fields', method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { authorization: '', ...FORM }, body: Array.from({ length: 10_000 }, (_, i) => `f${i}=${i}`).join('&') + '&' + FORM_CREDS, status: 404, body_is: 'canned' },
  { name: 'form body with __proto__ fields', method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { authorization: '', ...FORM }, body: '__proto__=x&constructor=y&' + FORM_CREDS, status: 404, body_is: 'canned' },
  { name: 'form body with malformed percent-encoding', method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { authorization: '', ...FORM }, body: 'username=%E0%A4%A&api_key=%', status: 401, body_is: 'empty' },
  // URLs without their trailing slash.
  { name: 'slash-less URL', method: 'GET', url: '/a/demo/api/v0.5/user', status: 301, body_is: 'empty' },
  { name: 'slash-less POST with a body', method: 'POST', url: '/a/demo/api/v0.5/user', headers: JSON_CT, body: { username: 'slashless', password: 'pw' }, status: 301, body_is: 'empty' },
  { name: 'slash-less URL with CRLF in the id', method: 'PUT', url: '/a/demo/api/v0.5/user/x%0D%0AX-Injected:%201', headers: JSON_CT, body: { first_name: 'x' }, status: 301, body_is: 'empty' },
  { name: 'slash-less URL with a long query', method: 'GET', url: '/a/demo/api/v0.5/user?q=' + 'x'.repeat(10_000), status: 301, body_is: 'empty' },
  // The outbox's filters (test-control API).
  { name: 'outbox type not an e-mail type', method: 'GET', url: '/__mock/outbox?type=spam', status: 400, body_is: { error: /^invalid request: querystring\/type must be one of account_confirmation, password_reset, invitation$/ } },
  { name: 'outbox type __proto__', method: 'GET', url: '/__mock/outbox?type=__proto__', status: 400, body_is: { error: /querystring\/type must be one of/ } },
  { name: 'outbox prototype keys as parameters', method: 'GET', url: '/__mock/outbox?__proto__=x&constructor=y', status: 400, body_is: { error: /^invalid request: querystring\/__proto__ Unexpected property, querystring\/constructor Unexpected property$/ } },
  { name: 'outbox to of 10,000 characters', method: 'GET', url: `/__mock/outbox?to=${'a'.repeat(10_000)}`, status: 400, body_is: { error: /querystring\/to Expected string length less or equal to 320/ } },
  { name: 'outbox DELETE with a repeated type', method: 'DELETE', url: '/__mock/outbox?type=invitation&type=password_reset', status: 400, body_is: { error: /^invalid request: querystring\/type/ } },
  { name: 'outbox to with CRLF and NUL', method: 'GET', url: '/__mock/outbox?to=a%0D%0AX-Injected:%201%00@example.org', status: 200 },
  { name: 'outbox domain constructor', method: 'DELETE', url: '/__mock/outbox?domain=constructor', status: 200 },
  // Web users, invitations and bulk-user search.
  { name: 'bulk-user q that does not parse', method: 'GET', url: '/a/demo/api/bulk-user/v1/?q=%28jdoe', status: 500, body_is: 'canned' },
  { name: 'bulk-user q of 100 nested parentheses', method: 'GET', url: '/a/demo/api/bulk-user/v1/?q=' + '%28'.repeat(100) + 'a' + '%29'.repeat(100), status: 500, body_is: 'canned' },
  { name: 'bulk-user q of 2,000 terms', method: 'GET', url: '/a/demo/api/bulk-user/v1/?q=' + Array.from({ length: 2000 }, (_, i) => `t${i}`).join('+'), status: 500, body_is: 'canned' },
  { name: 'bulk-user wildcard of 1,000 stars', method: 'GET', url: '/a/demo/api/bulk-user/v1/?q=username:' + '*a'.repeat(1000) + 'b', status: 200, body_is: 'list' },
  { name: 'bulk-user fields __proto__', method: 'GET', url: '/a/demo/api/bulk-user/v1/?fields=__proto__', status: 400, body_is: { error: /^__proto__ is not a valid field$/ } },
  { name: 'web-user PATCH __proto__ at the top level', method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: JSON_CT, body: '{"__proto__": {"role": "Admin"}}', status: 400 },
  { name: 'web-user PATCH __proto__ inside user_data', method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: JSON_CT, body: '{"user_data": {"__proto__": {"polluted": "yes"}, "constructor": "c"}}', status: 202, changes: true },
  { name: 'web-user PATCH toString as a role', method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: JSON_CT, body: { role: 'toString' }, status: 400 },
  { name: 'web-user id __proto__', method: 'GET', url: '/a/demo/api/web-user/v1/__proto__/', status: 400, body_is: { error: /WebUser\(username=None\)/ } },
  { name: 'invitation with __proto__ in user_data', method: 'POST', url: '/a/demo/api/invitation/v1/', headers: JSON_CT, body: '{"email": "proto@example.org", "role": "API Reader", "user_data": {"__proto__": {"polluted": "yes"}}}', status: 201, changes: true },
  { name: 'invitation email of 10,000 characters', method: 'POST', url: '/a/demo/api/invitation/v1/', headers: JSON_CT, body: { email: 'a'.repeat(10_000) + '@example.org', role: 'API Reader' }, status: 400 },
  // Inputs that once froze the server or leaked a credential (see also time-bounds.test.ts and leaks.test.ts).
  { name: 'Authorization without a scheme', method: 'GET', url: LIST, headers: { authorization: 'demo-bearer-token' }, status: 401, body_is: 'empty' },
  { name: 'Digest header of 15 KB', method: 'GET', url: LIST, headers: { authorization: 'Digest ' + 'a'.repeat(15_000) }, status: 401, body_is: 'empty' },
  { name: 'secret parameter names percent-encoded', method: 'GET', url: LIST + '?pass%77ord=x&tok%65n=y&limit=1', status: 200, body_is: 'list' },
  { name: 'journal filter of 500 stars', method: 'GET', url: '/__mock/requests?path=' + '*'.repeat(499) + 'x', status: 200 },
  { name: 'JSON nested 10,000 deep on the test-control API', method: 'PUT', url: '/__mock/state', headers: JSON_CT, body: '{"format": 1, "domains": ' + '{"a": '.repeat(10_000) + '1' + '}'.repeat(10_000) + '}', status: 400, body_is: { error: /^the JSON body nests deeper than 1000 levels$/ } },
  // Raw HTTP: what well-behaved clients refuse to send.
  { name: 'CR inside a header value', method: 'GET', url: LIST, raw: `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:demo-api-key\r\nX-Note: a\rInjected: 1\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'NUL inside a header value', method: 'GET', url: LIST, raw: `GET ${LIST} HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'header folded onto a second line', method: 'GET', url: LIST, raw: `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:\r\n demo-api-key\r\nConnection: close\r\n\r\n`, status: 400 },
  { name: 'CRLF smuggled into a PUT body length', method: 'PUT', url: USER, raw: `PUT ${USER} HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:demo-api-key\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`, status: 400 }
]
