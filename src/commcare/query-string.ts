// The subset of Lucene's `query_string` syntax that bulk-user searches use
// (BEHAVIOR.md §13, [R2 §F]): `field:value`, `field:"phrase"`, bare terms,
// `*` / `?` wildcards, `AND` / `OR` / `NOT` (also `&&`, `||`, `!`, `+`, `-`),
// parentheses (also after `field:`), `\` escapes, and a `^boost` or `~fuzz`
// suffix, which is accepted and ignored. Clauses combine as Lucene's classic
// parser combines them with the default operator OR: `AND` makes both of its
// neighbours required, `NOT` / `-` prohibits, `+` requires, a bare clause is
// optional. Ranges (`[a TO b]`, `{a TO b}`), regular expressions (`/…/`) and
// anything else outside this subset are parse errors.

export type Occur = 'must' | 'should' | 'must_not'

export type QueryNode =
  /** One word. With `wildcard`, `text` is a pattern where `*` and `?` are wildcards and `\` escapes. */
  | { kind: 'term', field: string | null, text: string, wildcard: boolean }
  | { kind: 'phrase', field: string | null, text: string }
  | { kind: 'group', field: string | null, clauses: Clause[] }

export interface Clause {
  occur: Occur
  node: QueryNode
}

export interface Query {
  clauses: Clause[]
}

/** A query that Lucene would refuse (ES answers 400, which HQ turns into a 500). */
export class QueryParseError extends Error {
  constructor (message: string, readonly position: number) {
    super(`${message} at character ${position}`)
    this.name = 'QueryParseError'
  }
}

/** Characters that end a term unless escaped (Lucene's classic parser). */
const SPECIAL = new Set([' ', '\t', '\n', '\r', '\f', '\u3000', '+', '-', '!', '(', ')', ':', '^', '[', ']', '"', '{', '}', '~', '\\', '/', '&', '|'])
const WHITESPACE = /[ \t\n\r\f\u3000]/

type Conj = 'and' | 'or' | null
type Mod = 'not' | 'req' | null

/** Elasticsearch's default `indices.query.bool.max_clause_count`: more clauses are refused. */
export const MAX_CLAUSES = 1024
/** How deep parentheses may nest before the query is refused (the parser is recursive). */
export const MAX_DEPTH = 64

class Parser {
  private pos = 0
  private depth = 0
  private clauseCount = 0
  constructor (private readonly src: string) {}

  fail (message: string, at = this.pos): never {
    throw new QueryParseError(message, at)
  }

  private skipSpace (): void {
    while (this.pos < this.src.length && WHITESPACE.test(this.src[this.pos])) this.pos++
  }

  private peek (s: string): boolean {
    return this.src.startsWith(s, this.pos)
  }

  /** A bare (unescaped) operator word here, followed by a delimiter. */
  private peekWord (word: string): boolean {
    if (!this.peek(word)) return false
    const next = this.src[this.pos + word.length]
    return next === undefined || WHITESPACE.test(next) || next === '(' || next === ')' || next === '"'
  }

  parseQuery (): Query {
    const clauses = this.parseClauses(false)
    this.skipSpace()
    if (this.pos < this.src.length) this.fail(`unexpected '${this.src[this.pos]}'`)
    return { clauses }
  }

  private parseClauses (nested: boolean): Clause[] {
    const clauses: Clause[] = []
    for (;;) {
      this.skipSpace()
      if (this.pos >= this.src.length || (nested && this.peek(')'))) break
      let conj: Conj = null
      if (this.peekWord('AND') || this.peek('&&')) {
        conj = 'and'
        this.pos += this.peek('&&') ? 2 : 3
      } else if (this.peekWord('OR') || this.peek('||')) {
        conj = 'or'
        this.pos += 2
      }
      if (conj !== null) {
        if (clauses.length === 0) this.fail(`'${conj === 'and' ? 'AND' : 'OR'}' without a clause before it`)
        this.skipSpace()
      }
      let mod: Mod = null
      if (this.peekWord('NOT')) {
        mod = 'not'
        this.pos += 3
      } else if (this.peek('!') || this.peek('-')) {
        mod = 'not'
        this.pos += 1
      } else if (this.peek('+')) {
        mod = 'req'
        this.pos += 1
      }
      this.skipSpace()
      if (this.pos >= this.src.length || this.peek(')')) this.fail(conj !== null || mod !== null ? 'an operator without a clause after it' : 'a clause expected')
      if (++this.clauseCount > MAX_CLAUSES) this.fail(`more than ${MAX_CLAUSES} clauses`)
      const node = this.parseClause()
      addClause(clauses, conj, mod, node)
    }
    return clauses
  }

  private parseClause (): QueryNode {
    let field: string | null = null
    const start = this.pos
    if (!this.peek('(') && !this.peek('"')) {
      const word = this.readWord()
      this.skipSpace()
      if (this.peek(':')) {
        if (word.wildcard || word.text === '') this.fail('a field name expected before \':\'', start)
        field = word.text
        this.pos++
        this.skipSpace()
      } else {
        this.pos = start
      }
    }
    if (this.peek('(')) {
      const open = this.pos
      this.pos++
      if (++this.depth > MAX_DEPTH) this.fail(`parentheses nested deeper than ${MAX_DEPTH}`, open)
      const clauses = this.parseClauses(true)
      this.depth--
      if (!this.peek(')')) this.fail("'(' is never closed", open)
      if (clauses.length === 0) this.fail('empty parentheses', open)
      this.pos++
      this.suffix()
      return { kind: 'group', field, clauses }
    }
    if (this.peek('"')) {
      const open = this.pos
      this.pos++
      let text = ''
      while (this.pos < this.src.length && this.src[this.pos] !== '"') {
        if (this.src[this.pos] === '\\') {
          if (this.pos + 1 >= this.src.length) this.fail('a \'\\\' at the end of the query')
          text += this.src[this.pos + 1]
          this.pos += 2
        } else {
          text += this.src[this.pos++]
        }
      }
      if (this.pos >= this.src.length) this.fail('a \'"\' is never closed', open)
      this.pos++
      this.suffix()
      return { kind: 'phrase', field, text }
    }
    const at = this.pos
    const word = this.readWord()
    if (word.text === '') this.fail(this.pos < this.src.length ? `unexpected '${this.src[this.pos]}'` : 'a term expected', at)
    this.suffix()
    return { kind: 'term', field, text: word.text, wildcard: word.wildcard }
  }

  /** `^2`, `^1.5`, `~`, `~2`: accepted and ignored. */
  private suffix (): void {
    for (;;) {
      if (this.peek('^')) {
        this.pos++
        const m = /^\d+(\.\d+)?/.exec(this.src.slice(this.pos))
        if (m === null) this.fail("a number expected after '^'")
        this.pos += m[0].length
      } else if (this.peek('~')) {
        this.pos++
        const m = /^\d+(\.\d+)?/.exec(this.src.slice(this.pos))
        if (m !== null) this.pos += m[0].length
      } else {
        return
      }
    }
  }

  /**
   * A term's characters. Unescaped `*` / `?` make it a wildcard pattern, in
   * which an escaped `*`, `?` or `\` keeps its backslash.
   */
  private readWord (): { text: string, wildcard: boolean } {
    let literal = ''
    let pattern = ''
    let wildcard = false
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]
      if (c === '\\') {
        if (this.pos + 1 >= this.src.length) this.fail('a \'\\\' at the end of the query')
        const e = this.src[this.pos + 1]
        literal += e
        pattern += e === '*' || e === '?' || e === '\\' ? '\\' + e : e
        this.pos += 2
        continue
      }
      // '-' and '+' are term characters once a term has started (`jane-doe`).
      if (SPECIAL.has(c) && !((c === '-' || c === '+') && literal !== '')) break
      if (c === '*' || c === '?') wildcard = true
      literal += c
      pattern += c
      this.pos++
    }
    return { text: wildcard ? pattern : literal, wildcard }
  }
}

/** Lucene's `QueryParserBase.addClause` with the default operator OR. */
function addClause (clauses: Clause[], conj: Conj, mod: Mod, node: QueryNode): void {
  if (clauses.length > 0 && conj === 'and') {
    const last = clauses[clauses.length - 1]
    if (last.occur !== 'must_not') last.occur = 'must'
  }
  const prohibited = mod === 'not'
  const required = mod === 'req' || (conj === 'and' && !prohibited)
  clauses.push({ occur: prohibited ? 'must_not' : required ? 'must' : 'should', node })
}

/** Parses a query string; throws QueryParseError when Lucene would refuse it. */
export function parseQuery (source: string): Query {
  return new Parser(source).parseQuery()
}

// ---- formatting (the canonical text of a parsed query) ------------------------

const RESERVED = new Set(['AND', 'OR', 'NOT'])

function escapeLiteral (text: string): string {
  let out = ''
  for (const c of text) out += SPECIAL.has(c) || c === '*' || c === '?' ? '\\' + c : c
  return RESERVED.has(text) ? '\\' + out : out
}

function escapePattern (pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '')
      i++
    } else {
      out += SPECIAL.has(c) ? '\\' + c : c
    }
  }
  return out
}

function escapeField (field: string): string {
  return escapeLiteral(field)
}

function formatNode (node: QueryNode): string {
  const prefix = node.field === null ? '' : escapeField(node.field) + ':'
  switch (node.kind) {
    case 'term':
      return prefix + (node.wildcard ? escapePattern(node.text) : escapeLiteral(node.text))
    case 'phrase':
      return prefix + '"' + node.text.replace(/[\\"]/g, c => '\\' + c) + '"'
    case 'group':
      return prefix + '(' + formatClauses(node.clauses) + ')'
  }
}

function formatClauses (clauses: Clause[]): string {
  return clauses.map(c => (c.occur === 'must' ? '+' : c.occur === 'must_not' ? '-' : '') + formatNode(c.node)).join(' ')
}

/** The canonical text of a query: `parseQuery(formatQuery(q))` gives `q` back. */
export function formatQuery (query: Query): string {
  return formatClauses(query.clauses)
}

// ---- matching ---------------------------------------------------------------

/** A document's fields as the search sees them: text, a list of texts, or nothing. */
export type SearchDoc = Record<string, string | string[] | null>

/** How a field is analysed: `keyword` matches the whole value only; `text` also its words. */
export type Analysis = 'keyword' | 'text'

export interface MatchOptions {
  /** The fields a bare term searches. */
  defaultFields: string[]
  analysis: Record<string, Analysis>
}

/** Words split on anything that is not a letter or digit, lower-cased. */
export function tokens (value: string): string[] {
  return value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

function values (doc: SearchDoc, field: string): string[] {
  // A field name comes from the query: only the document's own keys count.
  const v = Object.hasOwn(doc, field) ? doc[field] : undefined
  if (v === null || v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

type GlobItem = string | typeof ANY | typeof ONE
const ANY = Symbol('*')
const ONE = Symbol('?')

const globs = new Map<string, GlobItem[]>()

/** A wildcard pattern as items: lower-cased characters, `*` and `?` (escapes resolved). */
function globItems (pattern: string): GlobItem[] {
  let items = globs.get(pattern)
  if (items !== undefined) return items
  items = []
  const chars = Array.from(pattern.toLowerCase())
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]
    if (c === '\\') items.push(chars[++i] ?? '')
    else items.push(c === '*' ? ANY : c === '?' ? ONE : c)
  }
  if (globs.size > 1000) globs.clear()
  globs.set(pattern, items)
  return items
}

/**
 * Whether a (lower-cased) text matches a wildcard pattern: the classic
 * two-pointer walk that backtracks only to the last `*`, so it takes time
 * proportional to pattern × text at worst, whatever the pattern.
 */
function globMatch (items: GlobItem[], text: string): boolean {
  const chars = Array.from(text)
  let p = 0
  let t = 0
  let star = -1
  let mark = 0
  while (t < chars.length) {
    const item = items[p]
    if (p < items.length && (item === ONE || item === chars[t])) {
      p++
      t++
    } else if (p < items.length && item === ANY) {
      star = p++
      mark = t
    } else if (star !== -1) {
      p = star + 1
      t = ++mark
    } else {
      return false
    }
  }
  while (p < items.length && items[p] === ANY) p++
  return p === items.length
}

/** The strings a field's value is matched against: the whole value and, for text, its words. */
function candidates (value: string, analysis: Analysis): string[] {
  const whole = value.toLowerCase()
  return analysis === 'text' ? [whole, ...tokens(value)] : [whole]
}

function matchField (doc: SearchDoc, field: string, node: Exclude<QueryNode, { kind: 'group' }>, options: MatchOptions): boolean {
  const analysis = Object.hasOwn(options.analysis, field) ? options.analysis[field] : undefined
  if (analysis === undefined) return false
  for (const value of values(doc, field)) {
    if (node.kind === 'phrase') {
      const whole = value.toLowerCase()
      if (whole === node.text.toLowerCase()) return true
      if (analysis === 'keyword') continue
      const want = tokens(node.text)
      if (want.length === 0) continue
      const have = tokens(value)
      for (let i = 0; i + want.length <= have.length; i++) {
        if (want.every((w, j) => have[i + j] === w)) return true
      }
    } else if (node.wildcard) {
      const items = globItems(node.text)
      if (candidates(value, analysis).some(c => globMatch(items, c))) return true
    } else {
      const want = node.text.toLowerCase()
      if (candidates(value, analysis).includes(want)) return true
    }
  }
  return false
}

function matchNode (doc: SearchDoc, node: QueryNode, field: string | null, options: MatchOptions): boolean {
  const f = node.field ?? field
  if (node.kind === 'group') return matchClauses(doc, node.clauses, f, options)
  if (f !== null) return matchField(doc, f, node, options)
  return options.defaultFields.some(name => matchField(doc, name, node, options))
}

/**
 * A Boolean query: no prohibited clause may match; every required one must;
 * without required clauses at least one optional one must. A query of
 * prohibited clauses only matches everything else (Elasticsearch adds a
 * match-all to a purely negative query).
 */
function matchClauses (doc: SearchDoc, clauses: Clause[], field: string | null, options: MatchOptions): boolean {
  let hasMust = false
  let hasShould = false
  let anyShould = false
  for (const c of clauses) {
    if (c.occur === 'must_not') {
      if (matchNode(doc, c.node, field, options)) return false
    } else if (c.occur === 'must') {
      hasMust = true
      if (!matchNode(doc, c.node, field, options)) return false
    } else {
      hasShould = true
      if (!anyShould && matchNode(doc, c.node, field, options)) anyShould = true
    }
  }
  return hasMust || !hasShould || anyShould
}

/** Whether a document matches a parsed query. */
export function matchesQuery (query: Query, doc: SearchDoc, options: MatchOptions): boolean {
  return matchClauses(doc, query.clauses, null, options)
}
