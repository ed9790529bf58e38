import { type Clock, systemClock } from '../ports/clock.ts';
import { isTerminalOperationStatus, type Marketplace, type SaasOperation } from '../ports/marketplace.ts';
import { OperationWaitTimeoutError } from '../ports/marketplace-errors.ts';

export interface WaitForOperationDeps {
  readonly marketplace: Marketplace;
  readonly clock?: Clock;
  /** Waits between polls; tests pass one that advances a fake clock. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WaitForOperationInput {
  readonly subscriptionId: string;
  readonly operationId: string;
  /** Pause between polls. Default 3 s: Microsoft says "poll every few seconds" (§1.2). */
  readonly intervalMs?: number;
  /** Longest total wait. Default 5 min: operations are "normally quick, sometimes minutes" (§1.2). */
  readonly timeoutMs?: number;
  /** One correlation id for every poll of this wait. */
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

const DEFAULT_INTERVAL_MS = 3_000;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/**
 * Polls Get Operation until the operation is `Succeeded`, `Failed` or `Conflict` (reference/marketplace-api.md §1.2:
 * change plan / quantity / delete answer 202 and finish asynchronously; §6.4: keep polling, don't rely on the ACK).
 *
 * Steps: get the operation; return it when terminal; otherwise sleep `intervalMs` (never past the deadline) and repeat.
 * @returns the operation in its terminal status (the caller decides what `Failed`/`Conflict` mean).
 * @throws OperationWaitTimeoutError when `timeoutMs` passes first; it carries the last status seen.
 * @throws whatever `Marketplace.getOperation` throws (e.g. MarketplaceNotFoundError, MarketplaceUnavailableError).
 */
export async function waitForOperation(
  deps: WaitForOperationDeps,
  input: WaitForOperationInput,
): Promise<SaasOperation> {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? defaultSleep;
  const intervalMs = input.intervalMs ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const correlationId = input.correlationId ?? crypto.randomUUID();
  const deadline = clock.now().getTime() + timeoutMs;
  const callOptions = { correlationId, ...(input.signal ? { signal: input.signal } : {}) };
  for (;;) {
    const operation = await deps.marketplace.getOperation(input.subscriptionId, input.operationId, callOptions);
    if (isTerminalOperationStatus(operation.status)) {
      return operation;
    }
    const remaining = deadline - clock.now().getTime();
    if (remaining <= 0) {
      throw new OperationWaitTimeoutError(
        `Operation ${input.operationId} of subscription ${input.subscriptionId} was still ${operation.status} after ` +
          `${timeoutMs} ms; poll it again later or look it up in Partner Center`,
        { operation: 'waitForOperation', correlationId, lastStatus: operation.status },
      );
    }
    input.signal?.throwIfAborted();
    await sleep(Math.min(intervalMs, remaining));
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
