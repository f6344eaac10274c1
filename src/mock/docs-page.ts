// The docs page: the OpenAPI document rendered to plain HTML on the server.
// No script, no font, no CDN: the page is one HTML document and one style
// sheet from this server, so it works offline and sends nothing anywhere.
// Every operation is in the page from the start (none appear on scrolling),
// grouped by tag, each a <details> that opens on a click.

type Json = any

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** The small part of Markdown the document's descriptions use: paragraphs, `- ` lists, `code`, **bold**, [text](url) (the text only). */
export function markdown (text: string | undefined): string {
  if (text === undefined || text === '') return ''
  const inline = (s: string): string => escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
  const blocks = text.trim().split(/\n\s*\n/)
  return blocks.map(block => {
    const lines = block.split('\n')
    if (lines.every(l => /^\s*- /.test(l) || /^\s{2,}\S/.test(l))) {
      const items: string[] = []
      for (const l of lines) {
        if (/^\s*- /.test(l)) items.push(l.replace(/^\s*- /, ''))
        else items[items.length - 1] += ' ' + l.trim()
      }
      return `<ul>${items.map(i => `<li>${inline(i)}</li>`).join('')}</ul>`
    }
    return `<p>${inline(block)}</p>`
  }).join('\n')
}

/** Follows a local `$ref` (`#/components/…`); anything else is returned as is. */
function deref (spec: Json, value: Json): Json {
  let v = value
  for (let i = 0; i < 10 && v !== null && typeof v === 'object' && typeof v.$ref === 'string' && v.$ref.startsWith('#/'); i++) {
    let target: Json = spec
    for (const part of v.$ref.slice(2).split('/')) target = target?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    if (target === undefined) break
    v = target
  }
  return v
}

const refName = (value: Json): string | undefined =>
  value !== null && typeof value === 'object' && typeof value.$ref === 'string' ? value.$ref.split('/').pop() : undefined

function schemaLabel (spec: Json, schema: Json): string {
  const name = refName(schema)
  if (name !== undefined) return name
  const s = deref(spec, schema)
  if (s === null || typeof s !== 'object') return ''
  if (s.type === 'array') return `array of ${schemaLabel(spec, s.items) || 'items'}`
  if (Array.isArray(s.enum)) return s.enum.map((e: unknown) => JSON.stringify(e)).join(' | ')
  return Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? '')
}

function jsonBlock (value: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`
}

function parametersHtml (spec: Json, params: Json[]): string {
  if (params.length === 0) return ''
  const rows = params.map(p => deref(spec, p)).map(p => `<tr><td><code>${escapeHtml(String(p.name))}</code>${p.required === true ? ' <span class="req">required</span>' : ''}</td>` +
    `<td>${escapeHtml(String(p.in))}</td><td>${escapeHtml(schemaLabel(spec, p.schema))}</td><td>${markdown(p.description)}</td></tr>`)
  return `<h4>Parameters</h4><table class="params"><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function contentHtml (spec: Json, content: Json): string {
  if (content === null || typeof content !== 'object') return ''
  return Object.entries(content).map(([type, media]: [string, Json]) => {
    const parts = [`<div class="media"><code>${escapeHtml(type)}</code>${media.schema !== undefined ? ` — ${escapeHtml(schemaLabel(spec, media.schema))}` : ''}</div>`]
    if (media.example !== undefined) parts.push(jsonBlock(media.example))
    for (const [name, ex] of Object.entries(media.examples ?? {}) as Array<[string, Json]>) {
      const example = deref(spec, ex)
      parts.push(`<div class="example"><div class="example-name">Example <code>${escapeHtml(name)}</code>${example.summary !== undefined ? `: ${escapeHtml(String(example.summary))}` : ''}</div>${example.value !== undefined ? jsonBlock(example.value) : ''}</div>`)
    }
    return parts.join('')
  }).join('')
}

function operationHtml (spec: Json, path: string, method: string, op: Json, shared: Json[]): string {
  const id = typeof op.operationId === 'string' ? op.operationId : `${method}-${path}`
  const params = [...shared, ...(op.parameters ?? [])]
  const body = op.requestBody !== undefined ? deref(spec, op.requestBody) : undefined
  const responses = Object.entries(op.responses ?? {}).map(([status, r]: [string, Json]) => {
    const res = deref(spec, r)
    return `<li><span class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</span> ${markdown(res.description)}${contentHtml(spec, res.content)}</li>`
  })
  return `<details class="op op-${method}" id="${escapeHtml(id)}" data-method="${method.toUpperCase()}" data-path="${escapeHtml(path)}">
<summary><span class="method">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code> <span class="summary">${escapeHtml(String(op.summary ?? ''))}</span></summary>
<div class="op-body">
${markdown(op.description)}
${parametersHtml(spec, params)}
${body !== undefined ? `<h4>Request body${body.required === true ? ' <span class="req">required</span>' : ''}</h4>${markdown(body.description)}${contentHtml(spec, body.content)}` : ''}
<h4>Responses</h4><ul class="responses">${responses.join('')}</ul>
</div>
</details>`
}

/** The whole page for an OpenAPI document (parsed). */
export function renderDocsPage (spec: Json, stylesheet: string): string {
  const byTag = new Map<string, string[]>()
  const tags: Array<{ name: string, description?: string }> = [...(spec.tags ?? [])]
  for (const t of tags) byTag.set(t.name, [])
  let count = 0
  for (const [path, item] of Object.entries(spec.paths ?? {}) as Array<[string, Json]>) {
    for (const method of METHODS) {
      const op = item[method]
      if (op === undefined) continue
      count++
      const tag: string = op.tags?.[0] ?? 'Other'
      if (!byTag.has(tag)) {
        byTag.set(tag, [])
        tags.push({ name: tag })
      }
      byTag.get(tag)?.push(operationHtml(spec, path, method, op, item.parameters ?? []))
    }
  }
  const slug = (name: string): string => 'tag-' + name.toLowerCase().replace(/[^a-z0-9]+/g, '-')
  const sections = tags.map(t => `<section class="tag" id="${slug(t.name)}">
<h2>${escapeHtml(t.name)}</h2>
${markdown(t.description)}
${(byTag.get(t.name) ?? []).join('\n')}
</section>`)
  const info = spec.info ?? {}
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(String(info.title ?? 'API'))} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(stylesheet)}">
</head>
<body>
<header>
<h1>${escapeHtml(String(info.title ?? 'API'))} <small>${escapeHtml(String(info.version ?? ''))}</small></h1>
<p class="links"><a href="/__mock/openapi.yaml">openapi.yaml</a> · <a href="/__mock/openapi.json">openapi.json</a> · <span class="count">${count} operations</span></p>
<nav>${tags.map(t => `<a href="#${slug(t.name)}">${escapeHtml(t.name)} (${byTag.get(t.name)?.length ?? 0})</a>`).join(' ')}</nav>
${markdown(info.description)}
</header>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`
}

export const DOCS_CSS = `body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #fff }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 1.25rem }
h1 small { font-size: 0.55em; color: #59636e; font-weight: normal }
nav a { display: inline-block; margin: 0 0.75rem 0.25rem 0 }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace }
p code, li code, td code { background: #f2f4f6; padding: 0 0.25em; border-radius: 3px }
pre { background: #f6f8fa; padding: 0.6rem; overflow: auto; border-radius: 4px }
.tag { margin-top: 2rem }
.tag h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: 0.25rem }
.op { border: 1px solid #d1d9e0; border-radius: 4px; margin: 0.4rem 0 }
.op summary { cursor: pointer; padding: 0.4rem 0.6rem; list-style-position: inside }
.op[open] summary { border-bottom: 1px solid #d1d9e0 }
.op-body { padding: 0 0.9rem 0.6rem }
.method { display: inline-block; min-width: 4.5em; text-align: center; font-weight: 600; color: #fff; border-radius: 3px; padding: 0 0.3em; font-size: 13px }
.op-get .method { background: #1f6feb } .op-post .method { background: #1a7f37 } .op-put .method { background: #9a6700 }
.op-patch .method { background: #8250df } .op-delete .method { background: #cf222e } .op-options .method, .op-head .method { background: #59636e }
.path { font-weight: 600 }
.summary { color: #59636e }
.req { color: #cf222e; font-size: 12px }
table.params { border-collapse: collapse; width: 100% }
table.params th, table.params td { text-align: left; vertical-align: top; border-top: 1px solid #d1d9e0; padding: 0.25rem 0.5rem }
.responses { list-style: none; padding: 0 }
.responses > li { margin: 0.3rem 0 }
.status { display: inline-block; min-width: 3em; font-weight: 600 }
.s2 { color: #1a7f37 } .s3 { color: #1f6feb } .s4 { color: #9a6700 } .s5 { color: #cf222e }
.example-name, .media { margin-top: 0.4rem; color: #59636e }
`
