/**
 * Route table types shared by the fulfillment, operations and metering modules, and what they all depend on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Catalog } from '#shared/domain/catalog.ts';
import type { EmulatorClock } from './clock.ts';
import type { Reply } from './http.ts';
import type { OperationEngine } from './operations.ts';
import type { EmulatorState } from './state.ts';
import type { WebhookSender } from './webhooks.ts';

/** Fault-injection groups (see `faults.ts`). */
export type RouteGroup = 'fulfillment' | 'operations' | 'metering';

export interface RequestContext {
  readonly method: string;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
}

export interface Route {
  /** The OpenAPI operationId's verb, e.g. `resolve`, `usageEvent`: usable as a fault-injection target. */
  readonly name: string;
  readonly group: RouteGroup;
  readonly method: string;
  /** Matched against the path below `/api`; named groups become `params`. */
  readonly pattern: RegExp;
  handle(context: RequestContext): Promise<Reply> | Reply;
}

/** What the route modules share. */
export interface EmulatorCore {
  readonly catalog: Catalog;
  readonly state: EmulatorState;
  readonly clock: EmulatorClock;
  readonly operations: OperationEngine;
  readonly webhooks: WebhookSender;
  readonly publisherId: string;
  /** Marketplace API base URL, e.g. `http://127.0.0.1:7070/api` (for `Operation-Location` and `@nextLink`). */
  readonly baseUrl: () => string;
  readonly behaviour: {
    /** §1.2 Activate, observed: the live API did not check the activate planId. Default false (documented rule). */
    readonly activateSkipsPlanCheck: boolean;
  };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = decodeURIComponent(value);
    return { route, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}
