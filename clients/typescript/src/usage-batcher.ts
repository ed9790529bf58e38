import type { MeteringClient, UsageAnswer, UsageEvent } from './client.ts';
import { MeteringApiError, MeteringNetworkError } from './errors.ts';

/** The most events `POST /v1/usage` takes in one request. */
export const MAX_EVENTS_PER_REQUEST = 1000;
/** The largest body `POST /v1/usage` takes, in bytes of UTF-8. */
export const MAX_REQUEST_BYTES = 1_000_000;

/** An event as the app emits it: `id` and `timestamp` are filled in when absent. */
export interface AppUsageEvent {
  readonly subscriptionId: string;
  readonly dimension: string;
  /** A number, or a decimal string (`"0.25"`) for more than 15 significant digits. */
  readonly quantity: number | string;
  /** When the usage happened (default: when `add` is called). Sent as ISO 8601 in UTC. */
  readonly timestamp?: string | Date;
  /** Your id for the event; default a random UUID. The API counts an id once per subscription and hour. */
  readonly id?: string;
}

/** An event as sent: with its id and timestamp. */
export type SentUsageEvent = UsageEvent & { readonly id: string };

/** An event the API did not count, and why. */
export interface RejectedUsageEvent {
  readonly event: SentUsageEvent;
  /**
   * The API's per-event reason (`unknownSubscription`, `notSubscribed`, `unknownDimension`, `invalidQuantity`,
   * `timestampInFuture`, `timestampTooOld`); `invalidEvent` for an event the API refused as malformed (400 naming
   * it); `requestRefused` when the whole request was refused (401, 403, 413, 422, or a 400 naming no event);
   * `undelivered` when no answer came within `retry.maxElapsedMs`: resend these events later, with the same ids.
   */
  readonly reason: string;
  /** What to fix, in the API's words. */
  readonly message: string;
  /** HTTP status of a refused request (absent for a per-event rejection in a 202 answer). */
  readonly status?: number;
}

/** What one request of the batcher achieved, once acknowledged by the API (202). */
export interface UsageBatchResult {
  readonly subscriptionId: string;
  readonly idempotencyKey: string;
  readonly events: readonly SentUsageEvent[];
  /** The API's answer: `accepted`, `duplicate`, `rejected` counts and a result per event (by index). */
  readonly answer: UsageAnswer;
  /** Requests it took (1 when the first attempt was answered). */
  readonly attempts: number;
}

export interface UsageBatcherStats {
  /** Events held now: waiting in a batch, queued, or in a request not yet answered. */
  readonly buffered: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly requests: number;
  readonly retries: number;
}

export interface UsageBatcherOptions {
  readonly client: Pick<MeteringClient, 'sendJson'>;
  /** Events per request, at most 1,000 (default 1,000). */
  readonly maxBatchEvents?: number;
  /** Bytes of a request body, at most 1,000,000 (default 1,000,000). */
  readonly maxBatchBytes?: number;
  /** How long an event may wait for its batch to fill before the batch is sent anyway (default 1,000 ms). */
  readonly flushIntervalMs?: number;
  /**
   * Events held at most (default 10,000), sent or not: when reached, `add` waits and `tryAdd` answers false until
   * the API has answered enough of them.
   */
  readonly maxBufferedEvents?: number;
  /** Requests in flight at most (default 4). */
  readonly maxConcurrentRequests?: number;
  readonly retry?: {
    /** First backoff (default 200 ms); it doubles per attempt, with jitter, up to `maxDelayMs`. */
    readonly initialDelayMs?: number;
    /** Longest backoff (default 30 s); a longer `Retry-After` is still honoured. */
    readonly maxDelayMs?: number;
    /** Give up on a batch after this long (default 10 minutes): its events are reported `undelivered`. */
    readonly maxElapsedMs?: number;
  };
  /** Called with each acknowledged batch: the per-event answers (accepted, duplicate, rejected). */
  readonly onResult?: (result: UsageBatchResult) => void;
  /** Called with the events the API did not count (see `RejectedUsageEvent.reason`). */
  readonly onRejected?: (rejected: readonly RejectedUsageEvent[]) => void;
  /** Called before each retry, e.g. to log it. */
  readonly onRetry?: (retry: { idempotencyKey: string; attempt: number; delayMs: number; error: Error }) => void;
  /** Waits between attempts (default a timer); tests pass their own to see the delays chosen. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
}

export interface UsageBatcher {
  /**
   * Buffers one event. Resolves at once while fewer than `maxBufferedEvents` are held; otherwise waits until there
   * is room (back-pressure: await it, or use `tryAdd`, so memory stays bounded). Returns the event's id.
   * @throws TypeError for an event that could never be sent (missing fields, unreadable date, too large).
   * @throws Error after `close()`.
   */
  add(event: AppUsageEvent): Promise<string>;
  /** Buffers one event if there is room now: its id, or undefined when full (nothing is buffered then). */
  tryAdd(event: AppUsageEvent): string | undefined;
  /** Sends every waiting batch now; resolves when the API has answered them (or they were given up). */
  flush(): Promise<void>;
  /**
   * Stops taking events, sends everything held (events waiting in `add` included) and resolves when every event was
   * acknowledged or reported through `onRejected`. Call it on shutdown: nothing is lost on a clean shutdown.
   */
  close(): Promise<UsageBatcherStats>;
  stats(): UsageBatcherStats;
  readonly closed: boolean;
}

interface Prepared {
  readonly event: SentUsageEvent;
  readonly json: string;
  readonly bytes: number;
}

interface OpenBatch {
  readonly subscriptionId: string;
  readonly events: Prepared[];
  readonly ids: Set<string>;
  bytes: number;
  /** Its first event has waited `flushIntervalMs`: it goes out with the next free request slot. */
  due: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

interface SealedBatch {
  readonly subscriptionId: string;
  events: Prepared[];
  readonly done: Promise<void>;
  settle(): void;
}

/** `{"events":[` and `]}`. */
const ENVELOPE_BYTES = 13;

/**
 * Batches single usage events per subscription into requests of `POST /v1/usage`, and delivers each exactly once:
 * every event carries an id (the API counts an id once per subscription and hour, whichever request brings it), and
 * every attempt of a batch sends the same bytes under the same `Idempotency-Key`.
 *
 * A batch is sent when it holds `maxBatchEvents` events, when one more event would take it over `maxBatchBytes`,
 * `flushIntervalMs` after its first event (or, when all `maxConcurrentRequests` are busy, at the next free slot: it
 * keeps filling meanwhile), when the buffer is full, and on `flush()` / `close()`. Network errors, 408, 409 (the same key still
 * running), 429 and 5xx are retried with exponential backoff and jitter, never sooner than `Retry-After`; other 4xx
 * are not retried: a 400 naming one event drops that event (reported) and sends the rest under a new key (the API
 * stored nothing of a refused request), any other refusal reports the whole batch through `onRejected`.
 */
export function createUsageBatcher(options: UsageBatcherOptions): UsageBatcher {
  const maxBatchEvents = within(
    options.maxBatchEvents ?? MAX_EVENTS_PER_REQUEST,
    1,
    MAX_EVENTS_PER_REQUEST,
    'maxBatchEvents',
  );
  const maxBatchBytes = within(options.maxBatchBytes ?? MAX_REQUEST_BYTES, 200, MAX_REQUEST_BYTES, 'maxBatchBytes');
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxBuffered = within(options.maxBufferedEvents ?? 10_000, 1, Number.MAX_SAFE_INTEGER, 'maxBufferedEvents');
  const maxConcurrent = within(options.maxConcurrentRequests ?? 4, 1, 1000, 'maxConcurrentRequests');
  const initialDelayMs = options.retry?.initialDelayMs ?? 200;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  const maxElapsedMs = options.retry?.maxElapsedMs ?? 600_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  const open = new Map<string, OpenBatch>();
  const queue: SealedBatch[] = [];
  const pending = new Set<SealedBatch>();
  const waiters: { prepared: Prepared; resolve: (id: string) => void }[] = [];
  let buffered = 0;
  let inFlight = 0;
  let closed = false;
  const counts = { accepted: 0, duplicate: 0, rejected: 0, requests: 0, retries: 0 };

  function prepare(input: AppUsageEvent): Prepared {
    if (closed) throw new Error('The usage batcher is closed: create a new one to send more usage.');
    if (typeof input?.subscriptionId !== 'string' || input.subscriptionId.trim() === '') {
      throw new TypeError('A usage event needs a subscriptionId (the SaaS subscription id).');
    }
    if (typeof input.dimension !== 'string' || input.dimension === '') {
      throw new TypeError('A usage event needs a dimension (a dimension id of the plan, as in Partner Center).');
    }
    if (
      !(typeof input.quantity === 'string' || (typeof input.quantity === 'number' && Number.isFinite(input.quantity)))
    ) {
      throw new TypeError('A usage event needs a quantity: a finite number or a decimal string such as "12.5".');
    }
    const at = input.timestamp ?? new Date();
    if (at instanceof Date && Number.isNaN(at.getTime()))
      throw new TypeError('The usage event’s timestamp is an invalid Date.');
    const event: SentUsageEvent = {
      subscriptionId: input.subscriptionId,
      dimension: input.dimension,
      quantity: input.quantity,
      timestamp: at instanceof Date ? at.toISOString() : at,
      id: input.id ?? globalThis.crypto.randomUUID(),
    };
    const json = JSON.stringify(event);
    const bytes = utf8Length(json);
    if (bytes + ENVELOPE_BYTES > maxBatchBytes) {
      throw new TypeError(`A usage event of ${bytes} bytes cannot fit in a request of ${maxBatchBytes} bytes.`);
    }
    return { event, json, bytes };
  }

  function buffer(prepared: Prepared): string {
    buffered += 1;
    const { subscriptionId, id } = prepared.event;
    let batch = open.get(subscriptionId);
    // A request may not carry one id twice (400); the second copy goes in the next request, where the API
    // answers it `duplicate` if it is the same event (same hour), or counts it if it is another hour's.
    if (
      batch &&
      (batch.ids.has(id) ||
        batch.events.length >= maxBatchEvents ||
        ENVELOPE_BYTES + batch.bytes + batch.events.length + prepared.bytes > maxBatchBytes)
    ) {
      queue.push(seal(batch));
      batch = undefined;
      pump();
    }
    if (!batch) {
      const created: OpenBatch = { subscriptionId, events: [], ids: new Set(), bytes: 0, due: false };
      created.timer = setTimeout(() => {
        created.due = true;
        pump();
      }, flushIntervalMs);
      open.set(subscriptionId, created);
      batch = created;
    }
    batch.events.push(prepared);
    batch.ids.add(id);
    batch.bytes += prepared.bytes;
    if (batch.events.length >= maxBatchEvents || closed) {
      queue.push(seal(batch));
      pump();
    }
    return id;
  }

  /** Takes an open batch out for sending: no event is added to it after this. */
  function seal(batch: OpenBatch): SealedBatch {
    clearTimeout(batch.timer);
    open.delete(batch.subscriptionId);
    let settle = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const sealed: SealedBatch = { subscriptionId: batch.subscriptionId, events: batch.events, done, settle };
    pending.add(sealed);
    return sealed;
  }

  /**
   * The open batch to send now that a request slot is free: the oldest due one; when the buffer is full, the largest
   * (waiting for its interval would only hold the app up). A due batch is sealed only when a slot is free, so under
   * load, while requests are slow, batches keep filling instead of queueing up small.
   */
  function takeOpenBatch(): SealedBatch | undefined {
    const full = waiters.length > 0 || buffered >= maxBuffered;
    let largest: OpenBatch | undefined;
    for (const batch of open.values()) {
      if (batch.due) return seal(batch);
      if (full && (!largest || batch.events.length > largest.events.length)) largest = batch;
    }
    return largest && seal(largest);
  }

  function pump(): void {
    while (inFlight < maxConcurrent) {
      const batch = queue.shift() ?? takeOpenBatch();
      if (!batch) return;
      inFlight += 1;
      const size = batch.events.length;
      void deliver(batch).finally(() => {
        inFlight -= 1;
        buffered -= size;
        pending.delete(batch);
        batch.settle();
        admitWaiters();
        pump();
      });
    }
  }

  function admitWaiters(): void {
    while (waiters.length > 0 && buffered < maxBuffered) {
      const waiter = waiters.shift() as (typeof waiters)[number];
      waiter.resolve(buffer(waiter.prepared));
    }
  }

  async function deliver(batch: SealedBatch): Promise<void> {
    const started = Date.now();
    let key = globalThis.crypto.randomUUID();
    let body = bodyOf(batch.events);
    for (let attempt = 1; ; attempt++) {
      counts.requests += 1;
      try {
        const answer = await options.client.sendJson<UsageAnswer>('POST', '/v1/usage', body, { idempotencyKey: key });
        acknowledge(batch, key, answer, attempt);
        return;
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        if (isRetryable(error) && Date.now() - started < maxElapsedMs) {
          const delayMs = backoff(attempt, error);
          counts.retries += 1;
          safely(() => options.onRetry?.({ idempotencyKey: key, attempt, delayMs, error }));
          await sleep(delayMs);
          continue;
        }
        const index = eventIndexOf(error);
        const culprit = index === undefined ? undefined : batch.events[index];
        if (error instanceof MeteringApiError && error.status === 400 && culprit) {
          // Nothing of a refused request was stored: drop the event at fault and send the others as a new request.
          reject([{ event: culprit.event, reason: 'invalidEvent', message: error.message, status: 400 }]);
          batch.events = batch.events.filter((prepared) => prepared !== culprit);
          if (batch.events.length === 0) return;
          key = globalThis.crypto.randomUUID();
          body = bodyOf(batch.events);
          continue;
        }
        const refused = error instanceof MeteringApiError && !isRetryable(error);
        reject(
          batch.events.map(({ event }) => ({
            event,
            reason: refused ? 'requestRefused' : 'undelivered',
            message: refused
              ? error.message
              : `Not delivered within ${maxElapsedMs} ms (${error.message}): resend with the same ids.`,
            ...(error instanceof MeteringApiError ? { status: error.status } : {}),
          })),
        );
        return;
      }
    }
  }

  function acknowledge(batch: SealedBatch, idempotencyKey: string, answer: UsageAnswer, attempts: number): void {
    counts.accepted += answer.accepted;
    counts.duplicate += answer.duplicate;
    const events = batch.events.map(({ event }) => event);
    const rejected: RejectedUsageEvent[] = [];
    for (const result of answer.results) {
      const event = events[result.index];
      if (result.status !== 'rejected' || !event) continue;
      const reason = result.reason ?? 'rejected';
      // The short form of a large answer gives each reason's message once, in `explanations`.
      const message =
        ('message' in result ? result.message : undefined) ??
        ('explanations' in answer ? answer.explanations?.[reason]?.message : undefined) ??
        reason;
      rejected.push({ event, reason, message });
    }
    counts.rejected += rejected.length;
    if (rejected.length > 0) safely(() => options.onRejected?.(rejected));
    safely(() =>
      options.onResult?.({ subscriptionId: batch.subscriptionId, idempotencyKey, events, answer, attempts }),
    );
  }

  function reject(rejected: RejectedUsageEvent[]): void {
    counts.rejected += rejected.length;
    safely(() => options.onRejected?.(rejected));
  }

  /** Exponential backoff with "equal jitter" (half fixed, half random), and never sooner than `Retry-After`. */
  function backoff(attempt: number, error: Error): number {
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
    const jittered = ceiling / 2 + random() * (ceiling / 2);
    const retryAfter = error instanceof MeteringApiError ? error.retryAfterMs : undefined;
    // Spread clients told the same Retry-After a little, so they do not all come back in the same instant.
    return retryAfter === undefined ? jittered : retryAfter + random() * initialDelayMs;
  }

  function sealAll(): void {
    for (const batch of [...open.values()]) queue.push(seal(batch));
    pump();
  }

  const stats = (): UsageBatcherStats => ({ buffered: buffered + waiters.length, ...counts });

  return {
    get closed() {
      return closed;
    },
    add(event) {
      let prepared: Prepared;
      try {
        prepared = prepare(event);
      } catch (error) {
        return Promise.reject(error);
      }
      if (waiters.length === 0 && buffered < maxBuffered) return Promise.resolve(buffer(prepared));
      const waiting = new Promise<string>((resolve) => waiters.push({ prepared, resolve }));
      pump();
      return waiting;
    },
    tryAdd(event) {
      const prepared = prepare(event);
      if (waiters.length > 0 || buffered >= maxBuffered) {
        pump(); // full: the largest batch goes now if a slot is free, rather than at its interval
        return undefined;
      }
      return buffer(prepared);
    },
    async flush() {
      sealAll();
      await Promise.all([...pending].map((batch) => batch.done));
    },
    async close() {
      closed = true;
      // Events admitted from `add`'s waiters as room frees up land in new batches: seal and wait until none is left.
      while (open.size > 0 || pending.size > 0 || waiters.length > 0) {
        sealAll();
        await Promise.race([...pending].map((batch) => batch.done));
      }
      return stats();
    },
    stats,
  };
}

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);

function isRetryable(error: Error): boolean {
  if (error instanceof MeteringNetworkError) return true;
  return error instanceof MeteringApiError && (RETRYABLE_STATUSES.has(error.status) || error.status >= 500);
}

/** The index of the event a 400 names (`body.events.3.timestamp`), if it names one. */
function eventIndexOf(error: Error): number | undefined {
  if (!(error instanceof MeteringApiError) || error.status !== 400 || !error.field) return undefined;
  const match = /^(?:body\.)?events\.(\d+)(?:\.|$)/.exec(error.field);
  return match ? Number(match[1]) : undefined;
}

function bodyOf(events: readonly Prepared[]): string {
  return `{"events":[${events.map((prepared) => prepared.json).join(',')}]}`;
}

/** Callbacks are the app's code: an exception thrown by one must not stop the delivery of other batches. */
function safely(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    console.error('A usage batcher callback threw; delivery goes on:', error);
  }
}

function within(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}; got ${value}.`);
  }
  return value;
}

/** Bytes of a string in UTF-8, without encoding it (the size of each event counts toward the 1 MB limit). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
