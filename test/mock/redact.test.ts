import t from 'tap'
import fc from 'fast-check'
import { REDACTED, SECRET_NAMES, redactJsonText, redactValue } from '../../src/mock/redact.js'
import { JOURNAL_BODY_LIMIT, keptPayload } from '../../src/mock/journal.js'

// JSON text is redacted before the journal cuts it; text that cannot hold a
// secret key is kept as it is without being parsed.

t.test('a secret key is redacted however it is spelled; text without one comes back as it is', async t => {
  for (const key of ['password', 'PASSWORD', ' api-key ', 'Api_Key', 'client_secret', 'access_token', 'Authorization', 'pass\\u0077ord', '\\u0074oken']) {
    const text = `{"outer": {"${key}": "s3cret", "other": 1}}`
    const out = redactJsonText(text)
    t.notMatch(out, /s3cret/, `${key}: the value is gone`)
    t.match(out, REDACTED)
  }
  const plain = JSON.stringify({ objects: Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, first_name: 'Näme "quoted"', user_data: { chw_id: `C-${i}` } })) })
  t.equal(redactJsonText(plain), plain, 'a large answer without secret keys is returned unchanged')
  const kept = keptPayload(plain, 'application/json')
  t.equal(kept.truncated, true)
  t.equal(kept.kept!.toString(), plain.slice(0, JOURNAL_BODY_LIMIT))
})

t.test('redactJsonText equals parse, redact, stringify on any JSON with secret-ish keys', async t => {
  const key = fc.oneof(fc.constantFrom(...SECRET_NAMES, 'Password', 'API-KEY', 'name', 'id', 'tokens', 'user_data'), fc.string({ maxLength: 6 }))
  const json = fc.letrec(tie => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 4 }))
  })).value
  fc.assert(fc.property(json, fc.boolean(), (value, escape) => {
    let text = JSON.stringify(value)
    // Some keys spelled with \\u escapes, as a client may send them.
    if (escape) text = text.replace(/"(password|token)"/g, (_, k: string) => `"${k[0]}\\u00${k.charCodeAt(1).toString(16)}${k.slice(2)}"`)
    return redactJsonText(text) === JSON.stringify(redactValue(JSON.parse(text)))
  }), { numRuns: 2000, seed: 20261201 })
})
