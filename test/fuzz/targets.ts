import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { HTTP_ROUTES } from '#infra/functions.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';

/** One route of the local system to fuzz, with the zod schemas of its body and query where the code has them. */
export interface FuzzTarget {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Route path with `{name}` parameters, e.g. `/v1/subscriptions/{subscriptionId}/budget`. */
  readonly path: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
}

export const targetName = (target: Pick<FuzzTarget, 'method' | 'path'>) => `${target.method} ${target.path}`;

/**
 * The routes to fuzz, from the code so that new routes are fuzzed without touching the suite: the HTTP routes of
 * `infra/functions.ts`, with the greedy `/v1/{proxy+}` expanded into the API's own routes (every `method:` / `path:`
 * pair in the route files of the API's functions, `functions/api/*routes.ts` and
 * `functions/publisher-operations/routes.ts`). A route's schemas are the `…Schema` exports of its function's
 * `schema.ts` that its route block names (API routes), or the one that parses the function's body (`/v1/usage`,
 * `/webhook`).
 */
export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const targets = new Map<string, FuzzTarget>();
  const add = (target: FuzzTarget) => {
    if (!targets.has(targetName(target))) targets.set(targetName(target), target);
  };
  const routers = [
    { dir: 'functions/api', schemas: (await import('#functions/api/schema.ts')) as Record<string, unknown> },
    {
      dir: 'functions/publisher-operations',
      schemas: (await import('#functions/publisher-operations/schema.ts')) as Record<string, unknown>,
    },
  ];
  for (const { dir, schemas: exported } of routers) {
    for (const route of await routeBlocks(dir)) {
      const schemas = route.schemaNames.map((name) => exported[name]).filter(isZod);
      const [body, query] = route.method === 'GET' ? [undefined, schemas[0]] : [schemas[0], undefined];
      add({ method: route.method, path: route.path, ...(body ? { body } : {}), ...(query ? { query } : {}) });
    }
  }
  const { usageRequestSchema } = await import('#functions/usage-ingest/schema.ts');
  const { webhookSchema } = await import('#functions/fulfillment-webhook/schema.ts');
  const bodies: Record<string, z.ZodType> = { '/v1/usage': usageRequestSchema, '/webhook': webhookSchema };
  for (const route of HTTP_ROUTES) {
    if (route.path.includes('{proxy+}')) continue;
    for (const method of route.methods) {
      if (method === 'ANY') continue;
      const body = bodies[route.path];
      add({ method, path: route.path, ...(body ? { body } : {}) });
    }
  }
  return [...targets.values()];
}

interface RouteBlock {
  readonly method: FuzzTarget['method'];
  readonly path: string;
  readonly schemaNames: string[];
}

/** The `method: '…', path: '…'` pairs of a function's route files, and the schema names each route's block uses. */
async function routeBlocks(functionDir: string): Promise<RouteBlock[]> {
  const dir = join(REPO_ROOT, functionDir);
  const files = (await readdir(dir)).filter((file) => file.endsWith('routes.ts'));
  const blocks: RouteBlock[] = [];
  for (const file of files) {
    const source = await readFile(join(dir, file), 'utf8');
    const starts = [...source.matchAll(/method:\s*'(GET|POST|PUT|PATCH|DELETE)',\s*path:\s*'([^']+)'/g)];
    starts.forEach((match, i) => {
      const end = starts[i + 1]?.index ?? source.length;
      const block = source.slice(match.index, end);
      blocks.push({
        method: match[1] as FuzzTarget['method'],
        path: match[2] as string,
        schemaNames: [...new Set([...block.matchAll(/\b([a-z]\w*Schema)\b/g)].map((m) => m[1] as string))],
      });
    });
  }
  return blocks;
}

function isZod(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}
