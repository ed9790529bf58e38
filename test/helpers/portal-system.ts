import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { LOCAL_CUSTOMER_TENANT_ID } from '#infra/local/emulator/entra-sign-in.ts';
import type { PurchaseInput } from '#infra/local/emulator/index.ts';
import { type LocalSystem, type LocalSystemOptions, startLocalSystem } from '#infra/local/local-system.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { activateOnLandingPage } from '#test/helpers/local-landing.ts';

/**
 * The whole local system for the portal's end-to-end test, screenshots and benchmark: started in-process as
 * `npm start` does, with the publisher's bootstrap key to seed and check it through `/v1`, as a publisher would.
 */
export interface PortalSystem {
  readonly system: LocalSystem;
  readonly publisherKey: string;
  /** A `/v1` call with the publisher's key; the answer's status and JSON body. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startPortalSystem(
  workDir: string,
  options: Pick<LocalSystemOptions, 'endpoints' | 'catalogPath'> = {},
): Promise<PortalSystem> {
  const system = await startLocalSystem({
    ...options,
    prefix: `p${randomUUID().slice(0, 8)}`,
    apiPort: 0,
    localDir: workDir,
    bootstrapKeyFile: join(workDir, 'bootstrap-key'),
  });
  const publisherKey = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
  return {
    system,
    publisherKey,
    async api(method, path, body) {
      const response = await fetch(`${system.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${publisherKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
  };
}

/**
 * The preset customer (the fake Entra's "customer" user) buys `planId` in the emulator and activates it on our
 * landing page. Bought by and for the preset customer's tenant, so the portal shows it to that user.
 * @returns the subscription id.
 */
export async function buyForPresetCustomer(
  portal: PortalSystem,
  overrides: Partial<PurchaseInput> = {},
): Promise<string> {
  const bought = await portal.system.emulator.control.purchase(
    aPurchaseInput({
      planId: 'basic',
      quantity: undefined,
      beneficiary: { tenantId: LOCAL_CUSTOMER_TENANT_ID, emailId: 'user@customer.example' },
      purchaser: { tenantId: LOCAL_CUSTOMER_TENANT_ID, emailId: 'buyer@customer.example' },
      ...overrides,
    }),
  );
  const { activated } = await activateOnLandingPage(portal.system, bought);
  if (activated.status !== 200) throw new Error(`Activation failed (${activated.status}): ${await activated.text()}`);
  return bought.subscriptionId;
}

/**
 * Sends usage through `POST /v1/usage` at `at` (default: now on the system's clock) and waits until the aggregator
 * has committed it (the allowance's `used` grew by as much), as a customer's next read would see it.
 */
export async function useAndWait(
  portal: PortalSystem,
  subscriptionId: string,
  events: readonly { dimension: string; quantity: number }[],
  at: Date = portal.system.clock.now(),
): Promise<void> {
  const usedNow = async () => {
    const read = await portal.api('GET', `/v1/subscriptions/${subscriptionId}/allowance`);
    const dimensions = (read.body.dimensions ?? []) as { dimensionId: string; used: string }[];
    return new Map(dimensions.map((dimension) => [dimension.dimensionId, Number(dimension.used)]));
  };
  const before = await usedNow();
  const sent = await portal.api('POST', '/v1/usage', {
    events: events.map((event) => ({ subscriptionId, ...event, timestamp: at.toISOString(), id: randomUUID() })),
  });
  if (sent.status !== 202 || sent.body.rejected !== 0) {
    throw new Error(`Usage not accepted (${sent.status}): ${JSON.stringify(sent.body)}`);
  }
  await eventually(async () => {
    const after = await usedNow();
    return events.every(
      (event) => (after.get(event.dimension) ?? 0) >= (before.get(event.dimension) ?? 0) + event.quantity,
    );
  }, 20_000);
}

/**
 * Opens `path` in a fresh page of a browser profile without a session: the portal sends it to the fake Entra, whose
 * form signs in the preset user `label` ("customer", "partner", "publisher admin") and comes back to `path`.
 */
export async function signInThroughFakeEntra(page: Page, apiUrl: string, label: string, path: string): Promise<void> {
  await page.goto(apiUrl + path);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(apiUrl + path)),
    page.getByRole('button', { name: `Sign in as ${label}`, exact: true }).click(),
  ]);
}
