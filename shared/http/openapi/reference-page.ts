import { cspHash, html, htmlResponse, type SafeHtml } from '#shared/http/html.ts';

/**
 * The API reference as one self-contained HTML page, rendered on the server from the OpenAPI document: each
 * operation with its auth, parameters, body, answers and their schemas (as JSON), then the named schemas. No script
 * and nothing loaded from elsewhere: the page's one stylesheet is inline and allowed by its hash (strict CSP).
 */

/** The parts of an OpenAPI 3.1 document the page reads (the document is plain JSON). */
interface OpenApiDocument {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths?: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components?: {
    readonly schemas?: Readonly<Record<string, unknown>>;
    readonly securitySchemes?: Readonly<Record<string, { readonly description?: string }>>;
  };
}

interface OpenApiOperation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly security?: readonly Readonly<Record<string, unknown>>[];
  readonly parameters?: readonly {
    readonly name: string;
    readonly in: string;
    readonly required?: boolean;
    readonly schema?: unknown;
  }[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, OpenApiMedia>> };
  readonly responses?: Readonly<
    Record<string, { readonly description?: string; readonly content?: Readonly<Record<string, OpenApiMedia>> }>
  >;
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

function operationSection(path: string, method: string, operation: OpenApiOperation): SafeHtml {
  const parameters = operation.parameters ?? [];
  return html`<section class="op" id="${anchorOf(method, path)}">
<h3><span class="method">${method.toUpperCase()}</span> <code>${path}</code></h3>
<p>${operation.summary ?? ''}</p>
${operation.description && operation.description !== operation.summary ? html`<p>${operation.description}</p>` : ''}
<p>Auth: <code>${securityText(operation)}</code>${operation.operationId ? html` · operationId <code>${operation.operationId}</code>` : ''}</p>
${
  parameters.length
    ? html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${parameters.map(
        (parameter) =>
          html`<tr><td><code>${parameter.name}</code></td><td>${parameter.in}</td><td>${parameter.required ? 'yes' : 'no'}</td><td><code>${JSON.stringify(parameter.schema ?? {})}</code></td></tr>`,
      )}</table>`
    : ''
}
${mediaBlock('Request body', operation.requestBody?.content)}
<ul>${Object.entries(operation.responses ?? {}).map(
    ([status, response]) =>
      html`<li><strong>${status}</strong> ${response.description ?? ''}${mediaBlock('Body', response.content)}</li>`,
  )}</ul>
</section>`;
}

/** The reference page of an OpenAPI document, as an HTML response with a strict Content-Security-Policy. */
export function referencePage(document: OpenApiDocument) {
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
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
<ul>${operations.map(
    ({ path, method }) =>
      html`<li><a href="#${anchorOf(method, path)}"><span class="method">${method.toUpperCase()}</span> ${path}</a></li>`,
  )}</ul>
${operations.map(({ path, method, operation }) => operationSection(path, method, operation))}
<h2>Schemas</h2>
${Object.entries(document.components?.schemas ?? {}).map(
  ([name, schema]) =>
    html`<section id="schema-${name}"><h3><code>${name}</code></h3><pre>${json(schema)}</pre></section>`,
)}
</body>
</html>`;
  return htmlResponse(200, page, { styleHashes: [cspHash(STYLE)], language: 'en' });
}
