import t from 'tap'
import fc from 'fast-check'
import { MAX_CLAUSES, MAX_DEPTH, QueryParseError, formatQuery, matchesQuery, parseQuery, tokens, type MatchOptions, type SearchDoc } from '../../src/commcare/query-string.js'

// The Lucene query_string subset behind bulk-user `q` (BEHAVIOR.md §13, [R2 §F]).

const OPTIONS: MatchOptions = {
  defaultFields: ['email', 'first_name', 'id', 'last_name', 'phone_numbers', 'username'],
  analysis: { email: 'text', first_name: 'text', id: 'keyword', last_name: 'text', phone_numbers: 'keyword', username: 'text' }
}

const JANE: SearchDoc = { id: 'abc123', username: 'jdoe@demo.commcarehq.org', first_name: 'Jane', last_name: 'Doe', email: 'jane.doe@example.org', phone_numbers: ['254700000001'] }
const AMINA: SearchDoc = { id: 'def456', username: 'amina.hassan@demo.commcarehq.org', first_name: 'Amina', last_name: 'Hassan', email: '', phone_numbers: ['254700000002', '254700000003'] }
const ADA: SearchDoc = { id: 'b939', username: 'admin@example.org', first_name: 'Ada', last_name: 'Admin', email: 'admin@example.org', phone_numbers: [] }
const DOCS = { JANE, AMINA, ADA }

function found (q: string): string[] {
  const query = parseQuery(q)
  return Object.entries(DOCS).filter(([, d]) => matchesQuery(query, d, OPTIONS)).map(([n]) => n)
}

t.test('parses the subset into clauses with Lucene occur rules', async t => {
  t.strictSame(parseQuery('username:"jdoe@demo.commcarehq.org"'), {
    clauses: [{ occur: 'should', node: { kind: 'phrase', field: 'username', text: 'jdoe@demo.commcarehq.org' } }]
  })
  t.strictSame(parseQuery('a AND b').clauses.map(c => c.occur), ['must', 'must'])
  t.strictSame(parseQuery('a OR b').clauses.map(c => c.occur), ['should', 'should'])
  t.strictSame(parseQuery('a b').clauses.map(c => c.occur), ['should', 'should'], 'the default operator is OR')
  t.strictSame(parseQuery('a NOT b').clauses.map(c => c.occur), ['should', 'must_not'])
  t.strictSame(parseQuery('a AND NOT b').clauses.map(c => c.occur), ['must', 'must_not'])
  t.strictSame(parseQuery('+a -b !c').clauses.map(c => c.occur), ['must', 'must_not', 'must_not'])
  t.strictSame(parseQuery('a && b || c').clauses.map(c => c.occur), ['must', 'must', 'should'])
  t.strictSame(parseQuery('first_name:(jane OR amina)').clauses[0].node, {
    kind: 'group',
    field: 'first_name',
    clauses: [
      { occur: 'should', node: { kind: 'term', field: null, text: 'jane', wildcard: false } },
      { occur: 'should', node: { kind: 'term', field: null, text: 'amina', wildcard: false } }
    ]
  })
  t.strictSame(parseQuery('jane-doe').clauses[0].node, { kind: 'term', field: null, text: 'jane-doe', wildcard: false }, "'-' inside a term")
  t.strictSame(parseQuery('j*e?').clauses[0].node, { kind: 'term', field: null, text: 'j*e?', wildcard: true })
  t.strictSame(parseQuery('a\\*b').clauses[0].node, { kind: 'term', field: null, text: 'a*b', wildcard: false }, 'an escaped * is literal')
  t.strictSame(parseQuery('a\\*b*').clauses[0].node, { kind: 'term', field: null, text: 'a\\*b*', wildcard: true })
  t.strictSame(parseQuery('\\AND').clauses[0].node, { kind: 'term', field: null, text: 'AND', wildcard: false }, 'an escaped operator word is a term')
  t.strictSame(parseQuery('and or').clauses.map(c => c.node), [
    { kind: 'term', field: null, text: 'and', wildcard: false },
    { kind: 'term', field: null, text: 'or', wildcard: false }
  ], 'lower-case and/or are terms')
  t.strictSame(parseQuery('jane^2 doe~1 "x y"~3').clauses.length, 3, 'boosts and fuzz are accepted and ignored')
  t.strictSame(parseQuery('').clauses, [])
})

t.test('refuses what Lucene refuses, with a QueryParseError', async t => {
  for (const q of ['(a', 'a)', '()', '"open', 'AND a', 'a AND', 'a OR', 'NOT', '-', 'username:', ':x', 'a:b:c', '[a TO b]', '{a TO b}', '/re/', 'a^', 'trailing\\', 'x && ', '&a', '|a', 'a (b']) {
    t.throws(() => parseQuery(q), QueryParseError, JSON.stringify(q))
  }
  t.throws(() => parseQuery('('.repeat(MAX_DEPTH + 1) + 'a' + ')'.repeat(MAX_DEPTH + 1)), QueryParseError, 'nesting past the limit')
  t.doesNotThrow(() => parseQuery('('.repeat(MAX_DEPTH) + 'a' + ')'.repeat(MAX_DEPTH)))
  t.throws(() => parseQuery(Array.from({ length: MAX_CLAUSES + 1 }, (_, i) => `t${i}`).join(' ')), QueryParseError, 'more clauses than Elasticsearch allows')
  t.doesNotThrow(() => parseQuery(Array.from({ length: MAX_CLAUSES }, (_, i) => `t${i}`).join(' ')))
  const err = t.throws(() => parseQuery('a (b')) as QueryParseError
  t.equal(err.position, 2)
})

t.test('matching: fields, phrases, words of analysed fields, wildcards, operators, case', async t => {
  t.strictSame(found('username:"jdoe@demo.commcarehq.org"'), ['JANE'], 'the full username as a phrase')
  t.strictSame(found('username:jdoe@demo.commcarehq.org'), ['JANE'], 'the full username as a term')
  t.strictSame(found('username:JDOE'), ['JANE'], 'a whole word of the username, any case')
  t.strictSame(found('username:demo'), ['JANE', 'AMINA'], 'the domain is a word of workers\' usernames')
  t.strictSame(found('username:jdo'), [], 'part of a word does not match')
  t.strictSame(found('username:"demo commcarehq"'), ['JANE', 'AMINA'], 'a phrase of consecutive words')
  t.strictSame(found('username:"commcarehq demo"'), [], 'in order')
  t.strictSame(found('username:j*'), ['JANE'])
  t.strictSame(found('first_name:a?a'), ['ADA'])
  t.strictSame(found('first_name:A*'), ['AMINA', 'ADA'])
  t.strictSame(found('jane'), ['JANE'], 'a bare term searches every field')
  t.strictSame(found('254700000003'), ['AMINA'], 'any phone number')
  t.strictSame(found('id:abc'), [], 'ids are keywords: the whole value only')
  t.strictSame(found('id:ABC123'), ['JANE'])
  t.strictSame(found('jane OR amina'), ['JANE', 'AMINA'])
  t.strictSame(found('jane AND amina'), [])
  t.strictSame(found('username:demo AND NOT first_name:jane'), ['AMINA'])
  t.strictSame(found('NOT jane'), ['AMINA', 'ADA'], 'a purely negative query matches the rest')
  t.strictSame(found('-jane -amina'), ['ADA'])
  t.strictSame(found('(jane OR ada) AND admin'), ['ADA'])
  t.strictSame(found('last_name:(doe OR hassan)'), ['JANE', 'AMINA'])
  t.strictSame(found('+username:demo ada'), ['JANE', 'AMINA'], 'with a required clause the optional ones are optional')
  t.strictSame(found('nosuchfield:jane'), [], 'an unknown field matches nothing')
  t.strictSame(found('Username:jdoe'), [], 'field names are case-sensitive, as in Elasticsearch')
  t.strictSame(found('email:*'), ['JANE', 'AMINA', 'ADA'])
  t.strictSame(found('*'), ['JANE', 'AMINA', 'ADA'])
  t.strictSame(tokens('jane.doe@Example.org'), ['jane', 'doe', 'example', 'org'])
})

t.test('wildcards take linear time, whatever the pattern', async t => {
  const doc: SearchDoc = { username: 'a'.repeat(5000) }
  const q = parseQuery('username:' + '*a'.repeat(200) + 'b')
  const start = Date.now()
  t.equal(matchesQuery(q, doc, { defaultFields: ['username'], analysis: { username: 'keyword' } }), false)
  t.ok(Date.now() - start < 2000, 'no catastrophic backtracking')
})

// ---- properties ---------------------------------------------------------------

const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9@._-]{0,7}$/).filter(w => !['AND', 'OR', 'NOT'].includes(w))
const anyText = fc.string({ maxLength: 40, unit: fc.constantFrom('a', 'b', 'Z', '0', ' ', ':', '"', '(', ')', '*', '?', '\\', '-', '+', '!', 'A', 'N', 'D', 'O', 'R', 'T', '&', '|', '^', '~', '[', ']', '{', '}', '/', 'é', '\u3000') })

// Queries built from the grammar: they must parse.
const leaf = fc.oneof(
  word,
  word.map(w => w + '*'),
  fc.tuple(fc.constantFrom('username', 'first_name', 'email'), word).map(([f, w]) => `${f}:${w}`),
  fc.tuple(fc.constantFrom('username', 'last_name'), fc.array(word, { minLength: 1, maxLength: 3 })).map(([f, ws]) => `${f}:"${ws.join(' ')}"`)
)
const { expr } = fc.letrec<{ expr: string, clause: string }>(tie => ({
  clause: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('expr').map(e => `(${e})`),
    fc.tuple(fc.constantFrom('NOT ', '-', '+', '!'), leaf).map(([m, l]) => m + l)
  ),
  expr: fc.tuple(tie('clause'), fc.array(fc.tuple(fc.constantFrom(' ', ' AND ', ' OR ', ' && ', ' || '), tie('clause')), { maxLength: 4 }))
    .map(([first, rest]) => first + rest.map(([op, c]) => op + c).join(''))
}))

t.test('property: any text parses or fails with QueryParseError, never anything else', async () => {
  fc.assert(fc.property(fc.oneof(anyText, fc.string({ maxLength: 60 })), text => {
    try {
      parseQuery(text)
    } catch (err) {
      if (!(err instanceof QueryParseError)) throw err
    }
  }), { numRuns: 3000 })
})

t.test('property: queries built from the grammar parse', async () => {
  fc.assert(fc.property(expr, q => { parseQuery(q) }), { numRuns: 1000 })
})

t.test('property: the canonical text parses back to the same query (round trip)', async () => {
  fc.assert(fc.property(fc.oneof(expr, anyText), text => {
    let parsed
    try {
      parsed = parseQuery(text)
    } catch (err) {
      if (err instanceof QueryParseError) return
      throw err
    }
    const canonical = formatQuery(parsed)
    if (JSON.stringify(parseQuery(canonical)) !== JSON.stringify(parsed)) {
      throw new Error(`${JSON.stringify(text)} → ${JSON.stringify(canonical)} parses differently`)
    }
    if (formatQuery(parseQuery(canonical)) !== canonical) throw new Error('the canonical text is not stable')
  }), { numRuns: 2000 })
})

t.test('property: NOT q matches exactly what q does not; q OR r is the union; q AND r the intersection', async () => {
  const docs = Object.values(DOCS)
  fc.assert(fc.property(expr, expr, (q, r) => {
    const pq = parseQuery(q)
    const pr = parseQuery(r)
    const nq = parseQuery(`NOT (${q})`)
    const or = parseQuery(`(${q}) OR (${r})`)
    const and = parseQuery(`(${q}) AND (${r})`)
    for (const d of docs) {
      const a = matchesQuery(pq, d, OPTIONS)
      const b = matchesQuery(pr, d, OPTIONS)
      if (matchesQuery(nq, d, OPTIONS) === a) throw new Error(`NOT (${q})`)
      if (matchesQuery(or, d, OPTIONS) !== (a || b)) throw new Error(`(${q}) OR (${r})`)
      if (matchesQuery(and, d, OPTIONS) !== (a && b)) throw new Error(`(${q}) AND (${r})`)
    }
  }), { numRuns: 500 })
})
