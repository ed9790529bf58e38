import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  type ForbiddenRule,
  forbiddenDependencies,
  type ImportEdge,
  importsOf,
  readImportGraph,
  stronglyConnectedGroups,
} from '#test/helpers/import-graph.ts';

/** The rules `npm run check:layers` runs with dependency-cruiser, written once in .dependency-cruiser.cjs. */
const RULES: readonly ForbiddenRule[] = createRequire(import.meta.url)('../../.dependency-cruiser.cjs').forbidden;
const ROOT = new URL('../../', import.meta.url).pathname;

/** The imports of made-up files, to show each rule catches a wrong-way import. */
const graphOf = (files: Record<string, string>): ImportEdge[] =>
  Object.entries(files).flatMap(([file, source]) => importsOf(file, source));
const rulesBroken = (files: Record<string, string>) =>
  forbiddenDependencies(graphOf(files), RULES).map((violation) => violation.rule);

describe('the layering of the repository', () => {
  const edges = readImportGraph(ROOT, ['shared', 'functions', 'infra', 'test', 'clients']);

  it('reads the imports it checks (a handler’s use case, the domain’s decimal library)', () => {
    expect(edges).toContainEqual({
      from: 'functions/usage-aggregator/handler.ts',
      to: 'shared/use-cases/metering/apply-usage-messages.ts',
      typeOnly: false,
    });
    expect(edges).toContainEqual({ from: 'shared/domain/money.ts', to: 'node_modules/decimal.js/', typeOnly: false });
  });

  it('breaks none of the rules of .dependency-cruiser.cjs', () => {
    expect(forbiddenDependencies(edges, RULES)).toEqual([]);
  });

  it('has no cycle between the capability folders of shared/use-cases but the known ones', () => {
    const capabilityOf = (path: string) => /^shared\/use-cases\/([^/]+)\//.exec(path)?.[1];
    const between = edges.flatMap((edge) => {
      const [from, to] = [capabilityOf(edge.from), capabilityOf(edge.to)];
      return from && to && from !== to ? [[from, to] as const] : [];
    });

    // Known, to be broken up rather than added to:
    // - alerts, billing and partners use each other's stores (BudgetStore in alerts/ports, PartnerStore in
    //   partners/ports) and use cases (alerts → billing's charges, partners → alerts' delivery and billing's charges):
    //   moving the two store ports to the cross-capability ports/ would leave alerts → billing ← partners → alerts;
    // - ports/subscription-store.ts names fulfillment's LifecycleEvent (the pending events a save records).
    expect(stronglyConnectedGroups(between)).toEqual([
      ['alerts', 'billing', 'partners'],
      ['fulfillment', 'ports'],
    ]);
  });
});

describe('each rule catches a wrong-way import', () => {
  it('domain-is-pure: the domain imports only the domain and decimal.js, not even a port’s type', () => {
    expect(
      rulesBroken({
        'shared/domain/ok.ts': "import Decimal from 'decimal.js';\nimport { Money } from '#shared/domain/money.ts';",
      }),
    ).toEqual([]);
    expect(rulesBroken({ 'shared/domain/a.ts': "import { randomUUID } from 'node:crypto';" })).toEqual([
      'domain-is-pure',
    ]);
    expect(
      rulesBroken({ 'shared/domain/a.ts': "import type { Clock } from '#shared/use-cases/ports/clock.ts';" }),
    ).toEqual(['domain-is-pure']);
  });

  it('use-cases-depend-inward: a use case imports no adapter and no Node module but crypto', () => {
    expect(
      rulesBroken({
        'shared/use-cases/metering/ok.ts':
          "import { randomUUID } from 'node:crypto';\nimport type { Clock } from '../ports/clock.ts';",
      }),
    ).toEqual([]);
    expect(
      rulesBroken({
        'shared/use-cases/metering/a.ts': [
          'import {',
          '  DynamoUsageLedger,',
          "} from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';",
          "import { readFileSync } from 'node:fs';",
        ].join('\n'),
      }),
    ).toEqual(['use-cases-depend-inward', 'use-cases-depend-inward']);
  });

  it('shared-never-imports-the-edges: shared/ imports neither infra/, functions/ nor test/', () => {
    expect(
      rulesBroken({
        'shared/adapters/dynamodb/a.ts': "import { MAIN_TABLE } from '#infra/resources.ts';",
        'shared/adapters/b.ts': "import { handler } from '#functions/api/handler.ts';",
        'shared/http/c.ts': "export { aSubscription } from '#test/builders/subscription.ts';",
      }),
    ).toEqual(['shared-never-imports-the-edges', 'shared-never-imports-the-edges', 'shared-never-imports-the-edges']);
  });

  it('functions-are-independent: a function imports its own files, never another function’s', () => {
    expect(rulesBroken({ 'functions/usage-reporter/handler.ts': "import { deps } from './dependencies.ts';" })).toEqual(
      [],
    );
    expect(
      rulesBroken({
        'functions/fulfillment-webhook/dependencies.ts':
          "import { build } from '#functions/usage-reporter/dependencies.ts';",
        'functions/usage-reconciler/handler.ts': "import { schema } from '../usage-reporter/schema.ts';",
      }),
    ).toEqual(['functions-are-independent', 'functions-are-independent']);
  });

  it('functions-never-import-infra-or-tests and infra-never-imports-tests; infra may import functions', () => {
    expect(
      rulesBroken({
        'functions/api/a.ts': "import { MAIN_TABLE } from '#infra/resources.ts';",
        'infra/local/b.ts': "import { aSubscription } from '#test/builders/subscription.ts';",
        'infra/functions.ts': "const handler = await import('#functions/api/handler.ts');",
      }),
    ).toEqual(['functions-never-import-infra-or-tests', 'infra-never-imports-tests']);
  });

  it('client-stands-alone: the client imports its own files and Node built-ins only', () => {
    expect(
      rulesBroken({
        'clients/typescript/src/ok.ts':
          "import type { paths } from './api-types.ts';\nimport { setTimeout } from 'node:timers';",
      }),
    ).toEqual([]);
    expect(
      rulesBroken({
        'clients/typescript/src/a.ts': [
          "import { usageEventSchema } from '#functions/usage-ingest/schema.ts';",
          "import { Dec } from '#shared/domain/money.ts';",
          "import { z } from 'zod';",
        ].join('\n'),
      }),
    ).toEqual(['client-stands-alone', 'client-stands-alone', 'client-stands-alone']);
  });

  it('no-circular: modules importing each other at run time, but not through type imports only', () => {
    expect(
      rulesBroken({
        'shared/adapters/a.ts': "import { b } from './b.ts';",
        'shared/adapters/b.ts': "import { a } from '#shared/adapters/a.ts';",
      }),
    ).toEqual(['no-circular']);
    expect(
      rulesBroken({
        'infra/local/x.ts': "import type { Y } from './y.ts';",
        'infra/local/y.ts': "import { x } from './x.ts';",
      }),
    ).toEqual([]);
  });

  it('reads no import quoted in a comment', () => {
    expect(
      rulesBroken({ 'shared/domain/a.ts': "/**\n * import { MAIN_TABLE } from '#infra/resources.ts';\n */" }),
    ).toEqual([]);
  });
});
