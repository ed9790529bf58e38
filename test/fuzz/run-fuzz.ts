import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { toBudget } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { toCreditLink } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { type FuzzContext, type FuzzRequest, requestFor } from '#test/fuzz/generators.ts';
import { type FuzzTarget, fuzzTargets, targetName } from '#test/fuzz/targets.ts';
import { aPurchaseInput, CUSTOMER_TENANT } from '#test/helpers/fulfillment-flow.ts';
import { activateOnLandingPage, signInLocally } from '#test/helpers/local-landing.ts';

export interface FuzzOptions {
  /** Requests in all, spread evenly over the routes. */
  readonly total: number;
  readonly seed?: number;
  /** Requests generated at a time. */
  readonly batchSize?: number;
  /** Share of each batch sent alone between two snapshots of the table (mutated requests only). */
  readonly checkedShare?: number;
  /** Requests in flight at once within a batch. */
  readonly concurrency?: number;
  /** A request not answered within this is a hang. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface RouteCounts {
  requests: number;
  mutated: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  hangs: number;
}

export interface FuzzFailure {
  readonly kind: '5xx' | 'hang' | 'rejected request changed state' | 'stored value does not read back';
  readonly route: string;
  readonly detail: string;
  readonly request?: FuzzRequest;
}

export interface FuzzReport {
  readonly seed: number;
  readonly routes: Record<string, RouteCounts>;
  /** Refused (4xx) requests sent alone between two snapshots of the table that were compared. */
  readonly rejectedRequestsCompared: number;
  readonly storedValuesRead: number;
  readonly failures: FuzzFailure[];
}

/**
 * Items a rejected request may write by design, left out of the before/after comparison: none so far. A request
 * refused with 4xx changes nothing (DESIGN invariant 5 for the webhook; the API validates before it writes).
 */
/**
 * Items that may change on a refused request by design: the audit entry of a call made to Microsoft (a refused read
 * of an operation Microsoft does not know still called Microsoft, and the audit trail records every such call — it
 * is a log of what we did, not state the request changed).
 */
const VOLATILE_ITEM = (item: Record<string, unknown>) =>
  String(item.sk ?? '').startsWith('AUDIT#') && item.kind === 'marketplaceCall';

/**
 * Sets up what the fuzzer needs to get past the door: partner and customer API keys (the publisher's is the
 * bootstrap key), a partner, an activated subscription (bought in the emulator, activated on the landing page), a
 * genuine webhook notification with its token, and fresh landing tokens.
 */
export async function prepareFuzzContext(system: LocalSystem): Promise<FuzzContext> {
  const publisher = system.bootstrapKey.token;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${publisher}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const bought = await system.emulator.control.purchase(aPurchaseInput());
  const { page, activated } = await activateOnLandingPage(system, bought);
  if (page.status !== 200) throw new Error('the landing page did not open');
  if (activated.status !== 200) throw new Error(`activation answered ${activated.status}`);
  const subscriptionId = bought.subscriptionId;
  await api('PUT', '/v1/partners/fuzz-partner', { name: 'Fuzz reseller', tenantId: 'fuzz-reseller-tenant' });
  const partnerKey = await api('POST', '/v1/api-keys', {
    name: 'fuzz partner',
    role: 'partner',
    partnerId: 'fuzz-partner',
  });
  const customerKey = await api('POST', '/v1/api-keys', {
    name: 'fuzz customer',
    role: 'customer',
    tenantId: CUSTOMER_TENANT,
  });
  const change = await system.emulator.control.changeQuantityFromPortal(subscriptionId, 6);
  const delivery = system.emulator.control.webhookDeliveries().find((d) => d.operationId === change.id);
  if (!delivery) throw new Error('the emulator delivered no webhook for the seat change');
  const landingTokens = await Promise.all(
    [0, 1, 2].map(async () => (await system.emulator.control.purchase(aPurchaseInput())).token),
  );
  return {
    apiKeys: { publisher, partner: String(partnerKey.token), customer: String(customerKey.token) },
    ids: {
      subscriptionId: [subscriptionId],
      partnerId: ['fuzz-partner'],
      keyId: [String((partnerKey.record as Record<string, unknown> | undefined)?.keyId ?? 'unknown-key')],
      operationId: [change.id],
    },
    webhook: { payload: delivery.payload as Record<string, unknown>, token: delivery.token },
    landingTokens,
    session: await customerSession(system, landingTokens[0] ?? ''),
  };
}

/** The preset customer signed in, with the CSRF token its landing-page form carries. */
async function customerSession(system: LocalSystem, landingToken: string) {
  const cookie = await signInLocally(system.apiUrl, system.emulator);
  const page = await fetch(`${system.apiUrl}/landing?token=${encodeURIComponent(landingToken)}`, {
    headers: { cookie },
  });
  const csrfToken = /name="csrfToken" value="([^"]*)"/.exec(await page.text())?.[1];
  if (!csrfToken) throw new Error(`the landing page showed no form to a signed-in customer (${page.status})`);
  return { cookie, csrfToken, origin: new URL(system.apiUrl).origin };
}

/**
 * Sends `total` generated requests to every route of the running local system and checks: no 5xx, no hang, a
 * refused request (4xx) leaves the table as it was (for a share sent alone between two snapshots), and every stored
 * budget and credit link reads back.
 */
export async function runFuzz(system: LocalSystem, context: FuzzContext, options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const batchSize = options.batchSize ?? 200;
  const concurrency = options.concurrency ?? 8;
  const checkedShare = options.checkedShare ?? 0.05;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const log = options.log ?? (() => undefined);
  const targets = await fuzzTargets();
  const client = createDocumentClient(system.endpoints);
  const table = system.resources[MAIN_TABLE.envVar] ?? '';
  const routes: Record<string, RouteCounts> = Object.fromEntries(
    targets.map((t) => [targetName(t), { requests: 0, mutated: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, hangs: 0 }]),
  );
  const failures: FuzzFailure[] = [];
  const fail = (failure: FuzzFailure) => {
    failures.push(failure);
    log(
      `FAIL ${failure.kind} ${failure.route}: ${failure.detail} ${JSON.stringify(failure.request ?? {}).slice(0, 1500)}`,
    );
  };
  const generators = new Map(targets.map((t) => [targetName(t), requestFor(t, context)]));
  let rejectedRequestsCompared = 0;
  let sent = 0;
  let batchIndex = 0;

  while (sent < options.total) {
    const size = Math.min(batchSize, options.total - sent);
    const requests = fc.sample(
      fc.integer({ min: 0, max: targets.length - 1 }).chain((i) => {
        const target = targets[(i + batchIndex) % targets.length] as FuzzTarget;
        return (generators.get(targetName(target)) as fc.Arbitrary<FuzzRequest>).map((request) => ({
          target,
          request,
        }));
      }),
      { numRuns: size, seed: seed + batchIndex },
    );
    const recordOutcome = (target: FuzzTarget, request: FuzzRequest, status: number | undefined, error?: unknown) => {
      const counts = routes[targetName(target)] as RouteCounts;
      counts.requests++;
      if (request.mutated) counts.mutated++;
      if (status === undefined) {
        counts.hangs++;
        fail({ kind: 'hang', route: targetName(target), detail: String(error), request });
      } else {
        counts[`${Math.floor(status / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx']++;
        if (status >= 500) fail({ kind: '5xx', route: targetName(target), detail: String(status), request });
      }
    };
    // A share of the mutated requests goes one at a time between two snapshots of the table: when refused, the
    // snapshots must be equal. The rest go concurrently.
    const checked = requests.filter((r) => r.request.mutated).slice(0, Math.ceil(size * checkedShare));
    const concurrent = requests.filter((r) => !checked.includes(r));
    let before = checked.length > 0 ? await snapshot(client, table) : new Map<string, string>();
    for (const one of checked) {
      const [status] = await sendAll(system.apiUrl, [one], 1, timeoutMs, recordOutcome);
      let after = await snapshot(client, table);
      if (status !== undefined && status >= 400 && status < 500) {
        rejectedRequestsCompared++;
        let changed = diff(before, after);
        if (changed.length > 0) {
          // The system's own background work (queue pollers, schedules) may have written meanwhile: wait until the
          // table is quiet, send the same request again and compare once more before calling it a failure.
          const quiet = await quietSnapshot(client, table);
          await sendAll(system.apiUrl, [one], 1, timeoutMs, () => undefined);
          after = await snapshot(client, table);
          changed = diff(quiet, after);
        }
        if (changed.length > 0) {
          fail({
            kind: 'rejected request changed state',
            route: targetName(one.target),
            detail: `${status}: ${changed.slice(0, 5).join('; ')}`,
            request: one.request,
          });
        }
      }
      before = after;
    }
    await sendAll(system.apiUrl, concurrent, concurrency, timeoutMs, recordOutcome);
    sent += size;
    batchIndex++;
    if (batchIndex % 25 === 0) log(`${sent} requests sent, ${failures.length} failures`);
  }
  const readBack = await readBackStoredValues(client, table);
  failures.push(...readBack.failures);
  return { seed, routes, rejectedRequestsCompared, storedValuesRead: readBack.read, failures };
}

async function sendAll(
  baseUrl: string,
  requests: readonly { target: FuzzTarget; request: FuzzRequest }[],
  concurrency: number,
  timeoutMs: number,
  record: (target: FuzzTarget, request: FuzzRequest, status: number | undefined, error?: unknown) => void,
): Promise<(number | undefined)[]> {
  const statuses: (number | undefined)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { target, request } = requests[next++] as { target: FuzzTarget; request: FuzzRequest };
      let status: number | undefined;
      let failure: unknown;
      try {
        const response = await fetch(`${baseUrl}${request.url}`, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
        status = response.status;
      } catch (error) {
        failure = error;
      }
      statuses.push(status);
      record(target, request, status, failure);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

type Snapshot = Map<string, string>;

/** Every item of the table, by key, as JSON (a Scan: fine for the small tables of a fuzz run). */
async function snapshot(client: DynamoDBDocumentClient, table: string): Promise<Snapshot> {
  const items = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      if (VOLATILE_ITEM(item)) continue;
      items.set(`${item.pk}|${item.sk}`, JSON.stringify(item));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** A snapshot taken once two in a row, half a second apart, are the same (at most ~10 s of waiting). */
async function quietSnapshot(client: DynamoDBDocumentClient, table: string): Promise<Snapshot> {
  let previous = await snapshot(client, table);
  for (let round = 0; round < 20; round++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const current = await snapshot(client, table);
    if (diff(previous, current).length === 0) return current;
    previous = current;
  }
  return previous;
}

function diff(before: Snapshot, after: Snapshot): string[] {
  const changes: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) changes.push(`added ${key}`);
    else if (before.get(key) !== value) changes.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed ${key}`);
  return changes;
}

/** Every stored budget and credit link goes through the parse its readers use: what was accepted reads back. */
async function readBackStoredValues(
  client: DynamoDBDocumentClient,
  table: string,
): Promise<{ read: number; failures: FuzzFailure[] }> {
  const readers: Record<string, (item: Record<string, unknown>) => unknown> = {
    Budget: toBudget,
    CreditLink: toCreditLink,
  };
  const failures: FuzzFailure[] = [];
  let read = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const reader = readers[String(item.type)];
      if (!reader) continue;
      read++;
      try {
        reader(item);
      } catch (error) {
        failures.push({
          kind: 'stored value does not read back',
          route: String(item.type),
          detail: `${item.pk} ${item.sk}: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { read, failures };
}

/** A failing request for a log line, each long value cut to 120 characters (with its length). */
export function describeRequest(request: FuzzRequest | undefined): string {
  const cut = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}… (${text.length} chars)` : text);
  if (!request) return '';
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, cut(value)]));
  return JSON.stringify({ method: request.method, url: cut(request.url), headers, body: cut(request.body ?? '') });
}

/** The per-route counts as a Markdown table (for docs/testing-and-benchmarks.md). */
export function formatReport(report: FuzzReport): string {
  const lines = [
    '| Route | Requests | Mutated | 2xx | 3xx | 4xx | 5xx | Hangs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const totals: RouteCounts = { requests: 0, mutated: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, hangs: 0 };
  for (const [route, counts] of Object.entries(report.routes).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `| \`${route}\` | ${counts.requests} | ${counts.mutated} | ${counts['2xx']} | ${counts['3xx']} | ${counts['4xx']} | ${counts['5xx']} | ${counts.hangs} |`,
    );
    for (const key of Object.keys(totals) as (keyof RouteCounts)[]) totals[key] += counts[key];
  }
  lines.push(
    `| **all** | ${totals.requests} | ${totals.mutated} | ${totals['2xx']} | ${totals['3xx']} | ${totals['4xx']} | ${totals['5xx']} | ${totals.hangs} |`,
  );
  return lines.join('\n');
}
