import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// The README as a front page and the docs/ pages behind it: the quick start's
// two commands as they are, every page linked from the README, and every
// relative link and #anchor of every page pointing at a file and a heading
// that exist (anchors as GitHub makes them).

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)]
const read = (page: string): string => readFileSync(join(ROOT, page), 'utf8')

/** The lines of a page outside code fences. */
function prose (text: string): string[] {
  let fence = false
  return text.split('\n').filter(line => {
    if (line.startsWith('```')) {
      fence = !fence
      return false
    }
    return !fence
  })
}

/** GitHub's anchor for a heading: the rendered text, lower case, punctuation dropped, each space a hyphen. */
export function slug (heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, m => m === '_' ? '_' : '')
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

/** Every anchor of a page, duplicates numbered as GitHub numbers them. */
function anchors (text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*)$/.exec(line)
    if (m === null) continue
    const base = slug(m[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

t.test('anchors are made as GitHub makes them', async t => {
  t.equal(slug('Create a mobile worker — `POST …/user/`'), 'create-a-mobile-worker--post-user')
  t.equal(slug('The test-control API (`/__mock/`)'), 'the-test-control-api-__mock')
  t.equal(slug('Edit (PUT)'), 'edit-put')
  t.same([...anchors('# A\n## B\n```\n## not\n```\n## B\n')], ['a', 'b', 'b-1'])
})

t.test('the README is a front page: quick start, three ways to run it, the seed, the tests, and a link to every page', async t => {
  const readme = read('README.md')
  const headings = prose(readme).filter(l => l.startsWith('## ')).map(l => l.slice(3))
  t.same(headings, ['Quick start', 'Three ways to run it', 'The bundled seed', 'Documentation', 'Check the mock against your HQ', 'Performance', 'Running the tests'])
  const quick = readme.split('## Quick start')[1].split('\n## ')[0]
  t.match(quick, '```sh\nnpm ci && npm start      # serves the bundled seed on http://127.0.0.1:8000\nnpm ci && npm test       # runs the whole test suite\n```', 'the two commands, unchanged')
  const ways = readme.split('## Three ways to run it')[1].split('\n## ')[0]
  for (const [way, link] of [['npm start', 'docs/REFERENCE.md#configuration'], ['Docker', 'docs/DOCKER.md'], ['in-process fixture', 'docs/NODE.md']]) {
    const paragraph = ways.split('\n\n').find(p => p.includes(way))
    t.ok(paragraph?.includes(`](${link})`), `the paragraph on ${way} links ${link}`)
  }
  t.match(readme, /### Credentials\n[^]*\| `admin@example\.org` \| `password` \| `demo-api-key`/, 'the credentials table')
  for (const page of ['REFERENCE', 'TEST-CONTROL', 'BAD-INPUT', 'DOCKER', 'SEED', 'NODE', 'PYTHON', 'CI', 'STORAGE', 'PERFORMANCE', 'CHECK-AGAINST-HQ']) {
    t.match(readme, `](docs/${page}.md)`, `the README links docs/${page}.md`)
  }
  t.ok(readme.split('\n').length < 250, `the README stays a front page (${readme.split('\n').length} lines)`)
  t.notMatch(readme, /^### (Faults|Request journal|Rate limits|Testcontainers)/m, 'the reference lives on its pages')
})

t.test('each topic moved to its page', async t => {
  const reference = read('docs/REFERENCE.md')
  for (const h of ['## Configuration', '## Mobile workers', '### Edit (PUT)', '### Groups', '### Locations and location types', '### Web users', '### Authentication schemes', '### Rate limits', '## The API description (OpenAPI)']) {
    t.match(reference, `\n${h}`, `REFERENCE.md: ${h}`)
  }
  const control = read('docs/TEST-CONTROL.md')
  for (const h of ['## Admin token', '## Health', '## State: reset, domains, snapshot', '## Request journal', '## Faults', '## Outbox', '## Recipes for test suites', '## The inspector']) {
    t.match(control, `\n${h}`, `TEST-CONTROL.md: ${h}`)
  }
  t.match(control, /\*\*Which rules apply\.\*\*[^]*\| 2 \| The \*\*first answering rule\*\*/, 'the fault order is a table')
  const bad = read('docs/BAD-INPUT.md')
  t.match(bad, '<!-- section:bad-input -->', 'the hostile-input table, as its test reads it')
  t.match(bad, '## Quirks: where HQ is odd, and what the mock answers')
  const docker = read('docs/DOCKER.md')
  t.match(docker, 'MOCK_FRESH: "1"', 'the compose example starts from the seed every time')
  t.notMatch(docker, /x-mock-admin-token': process\.env/, 'the health check needs no token')
  t.match(docker, '](NODE.md)', 'Testcontainers: a link to NODE.md')
})

t.test('every relative link of README.md and docs/*.md reaches a file, and its #anchor a heading', async t => {
  const cache = new Map<string, Set<string>>()
  const anchorsOf = (file: string): Set<string> => {
    let a = cache.get(file)
    if (a === undefined) {
      a = anchors(readFileSync(file, 'utf8'))
      cache.set(file, a)
    }
    return a
  }
  let checked = 0
  for (const page of PAGES) {
    const file = join(ROOT, page)
    for (const line of prose(read(page))) {
      for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]
        if (/^[a-z]+:/i.test(target)) continue
        const [path, anchor] = target.split('#')
        const to = path === '' ? file : join(dirname(file), path)
        checked++
        if (!existsSync(to)) {
          t.fail(`${page}: ${target} — no file ${relative(ROOT, to)}`)
          continue
        }
        if (anchor !== undefined && to.endsWith('.md')) t.ok(anchorsOf(to).has(anchor), `${page}: ${target}`)
      }
    }
  }
  t.ok(checked > 30, `${checked} links checked`)
})
