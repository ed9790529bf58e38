import { cspHash, html, htmlResponse, type SafeHtml } from '#shared/http/html.ts';

/**
 * The API reference as one self-contained HTML page, rendered on the server from the OpenAPI document: each
 * operation with its auth, parameters, body, answers and their schemas (as JSON), then the named schemas. No script
 * and nothing loaded from elsewhere: the page's one stylesheet is inline and allowed by its hash (strict CSP).
 */

/** The parts of an OpenAPI 3.1 document the page reads (the document is plain JSON). */
interface OpenApiDocument {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly tags?: readonly { readonly name: string }[];
  readonly paths?: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components?: {
    readonly schemas?: Readonly<Record<string, unknown>>;
    readonly responses?: Readonly<Record<string, OpenApiResponse>>;
    readonly securitySchemes?: Readonly<Record<string, { readonly description?: string }>>;
  };
}

interface OpenApiOperation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly Readonly<Record<string, unknown>>[];
  readonly parameters?: readonly {
    readonly name: string;
    readonly in: string;
    readonly required?: boolean;
    readonly description?: string;
    readonly schema?: unknown;
  }[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, OpenApiMedia>> };
  readonly responses?: Readonly<Record<string, OpenApiResponse>>;
}

interface OpenApiResponse {
  /** A shared answer: `#/components/responses/Error404`. */
  readonly $ref?: string;
  readonly description?: string;
  readonly content?: Readonly<Record<string, OpenApiMedia>>;
}

interface OpenApiMedia {
  readonly schema?: unknown;
  readonly example?: unknown;
}

const STYLE = [
  'body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem 1.5rem;color:#1b1b1b}',
  'h2{margin-top:2.5rem;border-bottom:1px solid #ccc}',
  'section.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}',
  '.method{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}',
  'code,pre{font-family:ui-monospace,monospace;font-size:13px}',
  'pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;max-height:24rem}',
  'details{margin:.25rem 0}',
  'table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}',
].join('\n');

const json = (value: unknown) => JSON.stringify(value, null, 2);
const anchorOf = (method: string, path: string) => `${method}-${path}`.replace(/[^A-Za-z0-9_-]/g, '_');

function securityText(operation: OpenApiOperation): string {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  return schemes.length === 0 ? 'none' : schemes.join(' or ');
}

function mediaBlock(label: string, media: Readonly<Record<string, OpenApiMedia>> | undefined): SafeHtml[] {
  return Object.entries(media ?? {}).map(
    ([type, content]) => html`<details><summary>${label} <code>${type}</code></summary>
<pre>${json(content.schema ?? {})}</pre>${
      content.example === undefined ? '' : html`<p>Example</p><pre>${json(content.example)}</pre>`
    }</details>`,
  );
}

/** A response, or the shared one it refers to. */
function resolved(response: OpenApiResponse, document: OpenApiDocument): OpenApiResponse {
  const name = response.$ref?.replace('#/components/responses/', '');
  return (name ? document.components?.responses?.[name] : undefined) ?? response;
}

function parameterTable(operation: OpenApiOperation): SafeHtml | string {
  const parameters = operation.parameters ?? [];
  if (parameters.length === 0) return '';
  return html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${parameters.map(
    (parameter) =>
      html`<tr><td><code>${parameter.name}</code></td><td>${parameter.in}</td><td>${parameter.required ? 'yes' : 'no'}</td><td><code>${JSON.stringify(parameter.schema ?? {})}</code>${parameter.description ? html`<br>${parameter.description}` : ''}</td></tr>`,
  )}</table>`;
}

function operationSection(entry: Entry, document: OpenApiDocument): SafeHtml {
  const { path, method, operation } = entry;
  return html`<section class="op" id="${anchorOf(method, path)}">
<h3><span class="method">${method.toUpperCase()}</span> <code>${path}</code></h3>
<p>${operation.summary ?? ''}</p>
${operation.description ? html`<p>${operation.description}</p>` : ''}
<p>Auth: <code>${securityText(operation)}</code>${operation.operationId ? html` · operationId <code>${operation.operationId}</code>` : ''}</p>
${parameterTable(operation)}
${mediaBlock('Request body', operation.requestBody?.content)}
<ul>${Object.entries(operation.responses ?? {}).map(([status, response]) => {
    const answer = resolved(response, document);
    return html`<li><strong>${status}</strong> ${answer.description ?? ''}${mediaBlock('Body', answer.content)}</li>`;
  })}</ul>
</section>`;
}

interface Entry {
  readonly path: string;
  readonly method: string;
  readonly operation: OpenApiOperation;
}

/** The operations by tag, in the document's tag order (untagged ones last). */
function byTag(document: OpenApiDocument): [string, Entry[]][] {
  const groups = new Map<string, Entry[]>((document.tags ?? []).map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const tag = operation.tags?.[0] ?? 'Other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)?.push({ path, method, operation });
    }
  }
  return [...groups.entries()].filter(([, entries]) => entries.length > 0);
}

/** The reference page of an OpenAPI document, as an HTML response with a strict Content-Security-Policy. */
export function referencePage(document: OpenApiDocument) {
  const groups = byTag(document);
  const page = html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${document.info.title} — API reference</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${document.info.title} <small>v${document.info.version}</small></h1>
<p>${document.info.description ?? ''}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Authentication</h2>
<ul>${Object.entries(document.components?.securitySchemes ?? {}).map(
    ([name, scheme]) => html`<li><code>${name}</code>: ${scheme.description ?? ''}</li>`,
  )}</ul>
<h2>Operations</h2>
${groups.map(
  ([tag, entries]) =>
    html`<h4>${tag}</h4><ul>${entries.map(
      ({ path, method }) =>
        html`<li><a href="#${anchorOf(method, path)}"><span class="method">${method.toUpperCase()}</span> ${path}</a></li>`,
    )}</ul>`,
)}
${groups.map(([tag, entries]) => html`<h2>${tag}</h2>${entries.map((entry) => operationSection(entry, document))}`)}
<h2>Schemas</h2>
${Object.entries(document.components?.schemas ?? {}).map(
  ([name, schema]) =>
    html`<section id="schema-${name}"><h3><code>${name}</code></h3><pre>${json(schema)}</pre></section>`,
)}
</body>
</html>`;
  return htmlResponse(200, page, { styleHashes: [cspHash(STYLE)], language: 'en' });
}
