/**
 * The import graph of the repository's own TypeScript, read with regular expressions (no parser, no resolver
 * package), and a small evaluator of dependency-cruiser's `forbidden` rules over it: enough of the rule language for
 * .dependency-cruiser.cjs (`path`, `pathNot`, `$1` groups, `circular` with type-only cycles left alone), so that the
 * layering test checks the very rules that `npm run check:layers` runs.
 *
 * What the expressions read: `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, at the start
 * of a line for the first three (so TSDoc that quotes an import is not read as one). Subpath imports (`#shared/…`) and
 * relative paths resolve to repository paths; a Node built-in stays its name; any other package becomes
 * `node_modules/<name>/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the repository root (`shared/domain/money.ts`). */
  readonly from: string;
  /** What it imports, resolved as described in the module comment. */
  readonly to: string;
  /**
   * `import type …`, `export type … from` or `typeof import(…)`: erased before the code runs. `import { type A }` is
   * not: with `verbatimModuleSyntax` it still loads the module (dependency-cruiser calls it type-only, so this reader
   * can only be the stricter of the two about cycles).
   */
  readonly typeOnly: boolean;
}

/** The TypeScript files under `folders` (relative to `root`), as repository-relative paths with `/` separators. */
export function listTypeScriptFiles(root: string, folders: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = posix.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const folder of folders) walk(folder);
  return files.sort();
}

const STATIC_IMPORT = /^[ \t]*(?:import|export)[ \t]+(type[ \t]+)?[\w\s{},*$]*?\bfrom[ \t]*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^[ \t]*import[ \t]*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /(typeof[ \t]+)?\bimport\([ \t]*['"]([^'"]+)['"][ \t]*\)/g;

/** The imports of one file's source. */
export function importsOf(file: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) {
    edges.push({ from: file, to: resolveSpecifier(file, match[2] ?? ''), typeOnly: match[1] !== undefined });
  }
  for (const match of source.matchAll(SIDE_EFFECT_IMPORT)) {
    edges.push({ from: file, to: resolveSpecifier(file, match[1] ?? ''), typeOnly: false });
  }
  for (const match of source.matchAll(DYNAMIC_IMPORT)) {
    edges.push({ from: file, to: resolveSpecifier(file, match[2] ?? ''), typeOnly: match[1] !== undefined });
  }
  return edges;
}

/** Every import of every file under `folders`. */
export function readImportGraph(root: string, folders: readonly string[]): ImportEdge[] {
  return listTypeScriptFiles(root, folders).flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8')));
}

function resolveSpecifier(from: string, specifier: string): string {
  if (/^#(shared|functions|infra|test)\//.test(specifier)) return specifier.slice(1);
  if (specifier.startsWith('.')) return posix.normalize(posix.join(posix.dirname(from), specifier));
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return specifier;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return `node_modules/${name}/`;
}

/** The part of a dependency-cruiser `forbidden` rule this evaluator understands. */
export interface ForbiddenRule {
  readonly name: string;
  readonly from: { readonly path?: string | readonly string[]; readonly pathNot?: string | readonly string[] };
  readonly to: {
    readonly path?: string | readonly string[];
    readonly pathNot?: string | readonly string[];
    readonly circular?: boolean;
    readonly viaOnly?: { readonly dependencyTypesNot?: readonly string[] };
  };
}

export interface RuleViolation {
  readonly rule: string;
  /** `from → to`, or the modules of a cycle joined by ` → `. */
  readonly dependency: string;
}

/**
 * The edges (and, for a `circular` rule, the cycles) that break the rules. Semantics as dependency-cruiser's: a list
 * of expressions matches when any does; `$1`… in `to` stand for the groups `from.path` captured; a circular rule
 * whose `viaOnly.dependencyTypesNot` names `type-only` sees only the imports that stay at run time.
 * @throws Error for a rule using a condition this evaluator does not know (so the test cannot pass by ignoring it).
 */
export function forbiddenDependencies(edges: readonly ImportEdge[], rules: readonly ForbiddenRule[]): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const rule of rules) {
    const known = new Set(['path', 'pathNot', 'circular', 'viaOnly']);
    const unknown = [...Object.keys(rule.from), ...Object.keys(rule.to)].filter((key) => !known.has(key));
    if (unknown.length > 0) throw new Error(`rule ${rule.name}: conditions not understood here: ${unknown.join(', ')}`);
    const fromMatches = (path: string) => anyMatch(rule.from.path, path) && !anyMatch(rule.from.pathNot, path, false);
    if (rule.to.circular) {
      const skipTypeOnly = rule.to.viaOnly?.dependencyTypesNot?.includes('type-only') ?? false;
      const cycleEdges = edges.filter((edge) => fromMatches(edge.from) && !(skipTypeOnly && edge.typeOnly));
      for (const cycle of stronglyConnectedGroups(cycleEdges.map((edge) => [edge.from, edge.to]))) {
        violations.push({ rule: rule.name, dependency: cycle.join(' → ') });
      }
      continue;
    }
    for (const edge of edges) {
      const groups = firstMatch(rule.from.path, edge.from);
      if (!groups || anyMatch(rule.from.pathNot, edge.from, false)) continue;
      const withGroups = (patterns: string | readonly string[] | undefined) =>
        patterns === undefined
          ? undefined
          : [patterns].flat().map((pattern) => pattern.replace(/\$(\d)/g, (_, index) => groups[Number(index)] ?? ''));
      if (!anyMatch(withGroups(rule.to.path), edge.to)) continue;
      if (anyMatch(withGroups(rule.to.pathNot), edge.to, false)) continue;
      violations.push({ rule: rule.name, dependency: `${edge.from} → ${edge.to}` });
    }
  }
  return violations;
}

/** Groups of two or more nodes that all reach each other (Tarjan), each sorted, for `edges` given as [from, to]. */
export function stronglyConnectedGroups(edges: readonly (readonly [string, string])[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    if (from === to) continue;
    next.set(from, (next.get(from) ?? new Set()).add(to));
  }
  const order = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string) => {
    order.set(node, order.size);
    lowest.set(node, order.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!order.has(target)) {
        visit(target);
        lowest.set(node, Math.min(lowest.get(node) ?? 0, lowest.get(target) ?? 0));
      } else if (onStack.has(target)) {
        lowest.set(node, Math.min(lowest.get(node) ?? 0, order.get(target) ?? 0));
      }
    }
    if (lowest.get(node) !== order.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const node of next.keys()) if (!order.has(node)) visit(node);
  return groups.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** Whether any of the expressions matches; `whenAbsent` when there is none (a missing `path` matches everything). */
function anyMatch(patterns: string | readonly string[] | undefined, path: string, whenAbsent = true): boolean {
  if (patterns === undefined) return whenAbsent;
  return [patterns].flat().some((pattern) => new RegExp(pattern).test(path));
}

/** The groups of the first expression that matches (`['']` when there is no expression), or undefined. */
function firstMatch(patterns: string | readonly string[] | undefined, path: string): string[] | undefined {
  if (patterns === undefined) return [''];
  for (const pattern of [patterns].flat()) {
    const match = new RegExp(pattern).exec(path);
    if (match) return [...match].map((group) => group ?? '');
  }
  return undefined;
}
