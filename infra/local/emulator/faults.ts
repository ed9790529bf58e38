/**
 * Fault injection on the marketplace routes, seeded so a failing run can be replayed: the same seed and the same
 * sequence of requests give the same faults.
 *
 * A rule targets `match`: `'all'`, a group (`'fulfillment'` = subscription routes, `'operations'` = the three operation
 * routes, `'metering'`), a route name (`resolve`, `activate`, `listSubscriptions`, `getSubscription`,
 * `listAvailablePlans`, `updateSubscription`, `deleteSubscription`, `listOperations`, `getOperation`,
 * `updateOperation`, `usageEvent`, `batchUsageEvent`, `usageEvents`), or else a regular expression tested against
 * `"METHOD /path"` (path below `/api`, e.g. `"^POST /usageEvent$"`). The first rule that matches a request decides.
 *
 * For a matched request one draw r ∈ [0, 1) picks: r < errorRate → 500 or 503 (a second draw); then
 * throttleRate → 429 with `Retry-After`; then dropRate → the socket is destroyed without an answer, either before
 * the request is applied or after it (state changed, answer lost: the case that makes clients retry into Duplicate,
 * §6.7). `latencyMs` delays every matched request.
 *
 * Webhooks the emulator sends are targeted only explicitly: `'webhooks'` (every webhook) or `'webhook:<action>'`
 * (e.g. `'webhook:Subscribe'`); `'all'` keeps meaning the marketplace routes. One draw per webhook (not per attempt):
 * r < dropRate → the webhook is lost, never sent nor redelivered (recorded in the delivery log with the error
 * `dropped by fault injection`), the case where the publisher learns of a change only from the API; `latencyMs`
 * delays its first attempt by that much emulator time. `errorRate` and `throttleRate` do not apply to webhooks.
 */
import type { Route, RouteGroup } from './router.ts';

export interface FaultRule {
  /** What the rule applies to (see the module comment): routes, or `'webhooks'` / `'webhook:<action>'`; default `'all'`. */
  readonly match?: 'all' | RouteGroup | string | readonly string[];
  /** Share of requests answered 500 or 503 (half each), 0..1. */
  readonly errorRate?: number;
  /** Share of requests answered 429 with `Retry-After`, 0..1. */
  readonly throttleRate?: number;
  /** `Retry-After` seconds of a 429. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Extra real-time delay before the answer, in ms. */
  readonly latencyMs?: number;
  /** Share of requests whose connection is destroyed without an answer, 0..1. */
  readonly dropRate?: number;
  /** When a dropped request is dropped: before or after being applied; `random` (default) picks one per drop. */
  readonly dropPhase?: 'before' | 'after' | 'random';
  /** The rule applies to this many matching requests, then is spent. Default: unlimited. */
  readonly count?: number;
}

/** What happens to one webhook (see the module comment). */
export interface WebhookFaultDecision {
  readonly drop: boolean;
  /** Emulator-clock delay of the first attempt. */
  readonly delayMs: number;
}

export type FaultAction = 'none' | 'error500' | 'error503' | 'throttle' | 'dropBefore' | 'dropAfter';

export interface FaultDecision {
  readonly action: FaultAction;
  readonly latencyMs: number;
  readonly retryAfterSeconds: number;
}

const NO_FAULT: FaultDecision = { action: 'none', latencyMs: 0, retryAfterSeconds: 0 };

/** mulberry32: small, fast and good enough for test randomness. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;
  private rules: { rule: FaultRule; remaining: number }[] = [];

  constructor(private seed: number) {
    this.random = mulberry32(seed);
  }

  /** Replaces the rules and restarts the random sequence from the seed, so a run is reproducible from here. */
  set(rules: FaultRule | readonly FaultRule[], seed = this.seed): void {
    this.seed = seed;
    this.random = mulberry32(seed);
    this.rules = (Array.isArray(rules) ? rules : [rules]).map((rule: FaultRule) => ({
      rule,
      remaining: rule.count ?? Number.POSITIVE_INFINITY,
    }));
  }

  clear(): void {
    this.rules = [];
  }

  current(): FaultRule[] {
    return this.rules.filter((entry) => entry.remaining > 0).map((entry) => entry.rule);
  }

  decide(route: Route, method: string, path: string): FaultDecision {
    const entry = this.rules.find(
      (candidate) => candidate.remaining > 0 && matches(candidate.rule, route, method, path),
    );
    if (!entry) return NO_FAULT;
    entry.remaining -= 1;
    const { rule } = entry;
    const errorRate = rule.errorRate ?? 0;
    const throttleRate = rule.throttleRate ?? 0;
    const dropRate = rule.dropRate ?? 0;
    const draw = this.random();
    let action: FaultAction = 'none';
    if (draw < errorRate) {
      action = this.random() < 0.5 ? 'error500' : 'error503';
    } else if (draw < errorRate + throttleRate) {
      action = 'throttle';
    } else if (draw < errorRate + throttleRate + dropRate) {
      const phase = rule.dropPhase ?? 'random';
      action =
        phase === 'before'
          ? 'dropBefore'
          : phase === 'after'
            ? 'dropAfter'
            : this.random() < 0.5
              ? 'dropBefore'
              : 'dropAfter';
    }
    return { action, latencyMs: rule.latencyMs ?? 0, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
  }

  /** The fault of one webhook with this `action` (first matching rule with `'webhooks'` or `'webhook:<action>'`). */
  decideWebhook(action: string): WebhookFaultDecision {
    const entry = this.rules.find((candidate) => candidate.remaining > 0 && matchesWebhook(candidate.rule, action));
    if (!entry) return { drop: false, delayMs: 0 };
    entry.remaining -= 1;
    const drop = this.random() < (entry.rule.dropRate ?? 0);
    return { drop, delayMs: drop ? 0 : (entry.rule.latencyMs ?? 0) };
  }
}

function targetsOf(rule: FaultRule): readonly string[] {
  return rule.match === undefined ? ['all'] : typeof rule.match === 'string' ? [rule.match] : rule.match;
}

function isWebhookTarget(target: string): boolean {
  return target === 'webhooks' || target.startsWith('webhook:');
}

function matchesWebhook(rule: FaultRule, action: string): boolean {
  return targetsOf(rule).some((target) => target === 'webhooks' || target === `webhook:${action}`);
}

function matches(rule: FaultRule, route: Route, method: string, path: string): boolean {
  return targetsOf(rule).some((target) => {
    if (isWebhookTarget(target)) return false;
    if (target === 'all' || target === route.group || target === route.name) return true;
    if (['fulfillment', 'operations', 'metering'].includes(target)) return false;
    try {
      return new RegExp(target).test(`${method} ${path}`);
    } catch {
      return false;
    }
  });
}
