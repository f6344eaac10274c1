import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startProcess } from '../helpers/process.js'

// The curl examples of README.md and of every docs/*.md page, run with the
// real curl against the real server process on the bundled seed. Each section
// of a page (a `## ` heading) gets a fresh server, in memory: a reader who
// follows a section from its heading gets what it shows, and a section's
// examples may build on each other, in order.
// An example followed by a comment that starts with a status (`# 201, …`,
// `# 400 {…}`) must get that status; any other must not get a 5xx. A comment
// may also name the body it expects (`# 400 {"error": "…"}` on one line): the
// answer must then contain that text.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
const DOCS_BASE = 'http://127.0.0.1:8000'

export interface Example {
  section: string
  line: number
  command: string
  status: number | null
  /** Text the answer's body must contain. */
  body: string | null
}

/** The curl commands of a page's `sh` blocks, with the `## ` section they are in and what their comments expect. */
export function pageExamples (text: string): Example[] {
  const lines = text.split('\n')
  const out: Example[] = []
  let section = '(top)'
  let inSh = false
  let inFence = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (!inFence && line.startsWith('## ')) section = line.slice(3).trim()
    if (line.startsWith('```')) {
      inFence = !inFence
      inSh = inFence && line.trim() === '```sh'
      continue
    }
    if (!inSh || !/^curl\s/.test(line)) continue
    const start = i
    let command = line
    // A trailing backslash continues the command; so does a quote left open (a JSON body over several lines).
    while (i + 1 < lines.length && (command.endsWith('\\') || openQuote(command))) {
      command = openQuote(command) ? command + '\n' + lines[++i] : command.slice(0, -1) + ' ' + lines[++i].trim()
    }
    const next = lines[i + 1] ?? ''
    const expect = /^#\s*(\d{3})\b(.*)$/.exec(next)
    let body: string | null = null
    if (expect !== null) {
      const rest = expect[2].replace(/^[,;:]?\s*/, '')
      // A one-line JSON body (`# 400 {"error": "…"}`) is compared; prose is not.
      if (rest.startsWith('{') && rest.endsWith('}') && !rest.includes('…') && !rest.includes('<')) body = rest
    }
    out.push({ section, line: start + 1, command, status: expect === null ? null : Number(expect[1]), body })
  }
  return out
}

/** Whether a shell line leaves a single-quoted string open. */
function openQuote (command: string): boolean {
  let open = false
  for (let i = 0; i < command.length; i++) {
    const c = command[i]
    if (c === "'") open = !open
    else if (c === '\\' && !open) i++
  }
  return open
}

/** `$M` is the docs' name for the server's base URL. */
function withBase (command: string, base: string): string {
  return command.split(DOCS_BASE).join(base).replace(/\$M\b/g, base)
}

/**
 * Commands the runner cannot take as written: placeholders (`<id>`, `…`),
 * shell variables of the reader's own, files the reader would write.
 */
function runnable (command: string, cwd: string): boolean {
  const local = command.replace(/\$M\b/g, DOCS_BASE)
  if (!local.includes(DOCS_BASE) || /<[a-z][^>]*>|\.\.\.|…\s*$|\$[A-Za-z{(]/.test(local)) return false
  const file = /-d @(\S+)/.exec(local)
  return file === null || existsSync(join(cwd, file[1]))
}

async function curl (command: string, base: string, cwd: string): Promise<{ status: number, body: string }> {
  // The status goes to stderr, so a body redirected to a file stays the body alone.
  const marker = '__status__:'
  // Options go before a trailing comment or redirect, so `> snapshot.json` still gets the body alone.
  const cut = /\s(#|>)\s/.exec(command)
  const head = cut === null ? command : command.slice(0, cut.index)
  const tail = cut === null ? '' : command.slice(cut.index)
  const rewritten = withBase(head, base) + ` -s -S --max-time 20 -w '%{stderr}${marker}%{http_code}'` + tail
  const { stdout, stderr } = await run('bash', ['-c', rewritten], { cwd, maxBuffer: 32 * 1024 * 1024 })
  const at = stderr.lastIndexOf(marker)
  return { status: at === -1 ? 0 : Number(stderr.slice(at + marker.length)), body: stdout }
}

/** README.md first, then docs/*.md by name. */
async function pages (): Promise<string[]> {
  const docs = (await readdir(join(ROOT, 'docs'))).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)
  return ['README.md', ...docs]
}

/** A page's examples that the runner can take, grouped by section in page order. */
function sections (examples: Example[], cwd: string): Map<string, Example[]> {
  const out = new Map<string, Example[]>()
  for (const ex of examples) {
    if (!runnable(ex.command, cwd) && !/-d @/.test(ex.command)) continue
    const list = out.get(ex.section) ?? []
    list.push(ex)
    out.set(ex.section, list)
  }
  return out
}

const counts = new Map<string, number>()

for (const page of await pages()) {
  t.test(`every curl example of ${page} answers as it says, section by section on a fresh server`, async t => {
    const examples = pageExamples(await readFile(join(ROOT, page), 'utf8'))
    let ran = 0
    for (const [section, list] of sections(examples, ROOT)) {
      const server = await startProcess(['--in-memory'])
      const cwd = await mkdtemp(join(tmpdir(), 'hq-mock-docs-'))
      try {
        for (const ex of list) {
          // A file an earlier example of the section wrote (`> snapshot.json`) is there by now.
          if (!runnable(ex.command, cwd)) continue
          const where = `${page}:${ex.line} [${section}] (${ex.command.slice(0, 100)})`
          const got = await curl(ex.command, server.url, cwd)
          ran++
          if (ex.status !== null) t.equal(got.status, ex.status, `${where}: the status its comment names`)
          else t.ok(got.status > 0 && got.status < 500, `${where}: answered ${got.status}, not a 5xx`)
          if (ex.body !== null) t.ok(got.body.includes(ex.body), `${where}: the body its comment shows`)
        }
      } finally {
        server.child.kill('SIGTERM')
        await server.exited
        await rm(cwd, { recursive: true, force: true })
      }
    }
    counts.set(page, ran)
    t.comment(`${page}: ran ${ran} examples`)
  })
}

t.test('the pages that teach the API carry their examples', async t => {
  // As many runnable examples as each page has today: an example dropped or made unrunnable by an edit fails here.
  for (const [page, least] of [['README.md', 1], ['docs/REFERENCE.md', 74], ['docs/TEST-CONTROL.md', 28]] as const) {
    t.ok((counts.get(page) ?? -1) >= least, `${page} ran ${counts.get(page) ?? 'no'} examples (at least ${least})`)
  }
})

t.test('the example reader finds commands, continuations, sections and expectations', async t => {
  const text = [
    '## A', '```sh', `curl -X POST ${DOCS_BASE}/x/ \\`, "  -d '{}'", '# 201, Location: /y/',
    `curl ${DOCS_BASE}/z/`, '# 400 {"error": "bad"}', '```', '```', `curl ${DOCS_BASE}/not-sh/`, '```',
    '```md', '## not a heading', '```', '## B', '```sh', `curl ${DOCS_BASE}/b/`, '```'
  ].join('\n')
  t.same(pageExamples(text), [
    { section: 'A', line: 3, command: `curl -X POST ${DOCS_BASE}/x/  -d '{}'`, status: 201, body: null },
    { section: 'A', line: 6, command: `curl ${DOCS_BASE}/z/`, status: 400, body: '{"error": "bad"}' },
    { section: 'B', line: 17, command: `curl ${DOCS_BASE}/b/`, status: null, body: null }
  ])
})
