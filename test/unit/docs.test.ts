import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ApiDependencies } from '#functions/api/dependencies.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { HTTP_ROUTES } from '#infra/functions.ts';

/**
 * The README and the pages of `docs/` against the repository: the README stays a short front door, every relative
 * link (and its anchor) leads somewhere, every `npm run` names a real script, every page can be reached, and the
 * routes, file paths and environment variables the pages name exist in the code.
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = join(REPO_ROOT, 'README.md');
const DOCS_DIR = join(REPO_ROOT, 'docs');
const DOCS_INDEX = join(DOCS_DIR, 'README.md');
/** GitHub renders the README on the repository's front page: it must stay a quick read. */
const MAX_README_BYTES = 10_240;

const docsPages = () =>
  readdirSync(DOCS_DIR)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS_DIR, name));
const markdownFiles = () => [README, ...docsPages()];
const read = (file: string) => readFileSync(file, 'utf8');
const shown = (file: string) => relative(REPO_ROOT, file);

/** The text without fenced code blocks: links and headings inside them are not links or headings. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** Targets of inline links `[text](target)` and images, outside code blocks. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? '');
}

/** Inline code spans outside code blocks, e.g. `infra/functions.ts`. */
function codeSpans(markdown: string): string[] {
  return [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? '');
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (match[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links that lead nowhere: a missing file, or an anchor with no heading in a Markdown target. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(read(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …: not ours to check
    const [path = '', anchor] = target.split('#');
    const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(destination)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor && destination.endsWith('.md') && statSync(destination).isFile()) {
      if (!headingAnchors(read(destination)).has(anchor)) broken.push(`${target} (no heading with that anchor)`);
    }
  }
  return broken;
}

/** Every `npm run <script>`, `npm start` and `npm test`, in prose and in code blocks alike. */
function npmScriptsNamed(markdown: string): string[] {
  const run = [...markdown.matchAll(/\bnpm run(?:-script)? ([A-Za-z0-9:._-]+)/g)].map((match) => match[1] ?? '');
  const shorthand = [...markdown.matchAll(/\bnpm (start|test)\b/g)].map((match) => match[1] ?? '');
  return [...run, ...shorthand];
}

/** `METHOD /path` of our own HTTP API, with parameters (`{id}`, `<id>`) reduced to `{}` and the query left out. */
function routesNamed(markdown: string): string[] {
  return [...markdown.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9_{}<>/.-]*)/g)]
    .map((match) => `${match[1]} ${normaliseRoute(match[2] ?? '')}`)
    .filter((route) => /^\S+ \/(v1\/|health$|landing$|webhook$)/.test(route));
}

const normaliseRoute = (path: string) =>
  path
    .replace(/\{[^}]*\}|<[^>]*>/g, '{}')
    .replace(/\/+$/, '')
    .replace(/\.$/, '');

/** The routes the deployed API serves: the Api function's router plus the other functions' routes. */
function servedRoutes(): Set<string> {
  // Building the route table only creates closures over the dependencies; none is used until a request comes.
  const api = apiRoutes({} as ApiDependencies).map((route) => `${route.method} ${normaliseRoute(route.path)}`);
  const others = HTTP_ROUTES.filter((route) => !route.path.includes('+}')).flatMap((route) =>
    route.methods.map((method) => `${method} ${normaliseRoute(route.path)}`),
  );
  return new Set([...api, ...others]);
}

/** Top-level folders whose paths the pages name; a path in a code span under one of them must exist. */
const REPO_PATH = /^(infra|functions|shared|test|events|docs|\.ci)(\/[A-Za-z0-9._-]+)*\/?$/;
/** A bare source file name in a code span (`money.ts`): some file of the repository must have it. */
const FILE_NAME = /^[A-Za-z0-9._-]+\.ts$/;
const NOT_OURS = new Set(['node_modules', '.git', 'cdk.out', '.local', 'coverage']);

/** Names of the repository's files (what git would track, roughly). */
function repositoryFileNames(folder = REPO_ROOT, names = new Set<string>()): Set<string> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (NOT_OURS.has(entry.name)) continue;
    if (entry.isDirectory()) repositoryFileNames(join(folder, entry.name), names);
    else names.add(entry.name);
  }
  return names;
}

/** Code spans that look like environment variables: upper case with an underscore (`NAME` or `NAME=value`). */
function environmentVariablesNamed(markdown: string): string[] {
  return codeSpans(markdown)
    .flatMap((span) => span.split(/\s+/))
    .map((word) => word.split('=')[0] ?? '')
    .filter((word) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(word));
}

/** The text of every source file in the folders that read the environment. */
function sourceText(): string {
  const texts: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json|yaml)$/.test(entry.name) || entry.name === 'run') texts.push(read(path));
    }
  };
  for (const folder of ['infra', 'functions', 'shared', 'test', '.ci']) walk(join(REPO_ROOT, folder));
  return texts.join('\n');
}

describe('the README and docs/', () => {
  it(`keeps the README at most ${MAX_README_BYTES} bytes`, () => {
    expect(statSync(README).size).toBeLessThanOrEqual(MAX_README_BYTES);
  });

  it('has a docs/ folder with an index and topic pages', () => {
    expect(existsSync(DOCS_INDEX)).toBe(true);
    expect(docsPages().length).toBeGreaterThan(1);
  });

  it.each(markdownFiles().map((file) => [shown(file), file]))('%s: every relative link leads to a file', (_, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it.each(markdownFiles().map((file) => [shown(file), file]))('%s: every npm run names a script', (_, file) => {
    const scripts = Object.keys(JSON.parse(read(join(REPO_ROOT, 'package.json'))).scripts as Record<string, string>);
    const unknown = npmScriptsNamed(read(file)).filter((name) => !scripts.includes(name));
    expect(unknown).toEqual([]);
  });

  it('links every docs page from the README or the docs index', () => {
    const linked = new Set(
      [README, DOCS_INDEX].flatMap((file) =>
        linkTargets(read(file))
          .map((target) => target.split('#')[0] ?? '')
          .filter((path) => path !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(path))
          .map((path) => resolve(dirname(file), path)),
      ),
    );
    const unlinked = docsPages()
      .filter((page) => !linked.has(page))
      .map(shown);
    expect(unlinked).toEqual([]);
  });

  it('names only routes the API serves', () => {
    const served = servedRoutes();
    const unknown = markdownFiles().flatMap((file) =>
      routesNamed(read(file))
        .filter((route) => !served.has(route))
        .map((route) => `${shown(file)}: ${route}`),
    );
    expect(unknown).toEqual([]);
  });

  it('names only repository paths and file names that exist', () => {
    const fileNames = repositoryFileNames();
    const missing = markdownFiles().flatMap((file) =>
      codeSpans(read(file))
        .filter(
          (span) =>
            (REPO_PATH.test(span) && !existsSync(join(REPO_ROOT, span))) ||
            (FILE_NAME.test(span) && !fileNames.has(span)),
        )
        .map((span) => `${shown(file)}: ${span}`),
    );
    expect(missing).toEqual([]);
  });

  it('names only environment variables that the code or the tooling mentions', () => {
    const source = sourceText();
    const unknown = markdownFiles().flatMap((file) =>
      [...new Set(environmentVariablesNamed(read(file)))]
        .filter((name) => !source.includes(name))
        .map((name) => `${shown(file)}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
