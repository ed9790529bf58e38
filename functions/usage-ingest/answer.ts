import type { IngestUsageResult, UsageEventResult } from '#shared/use-cases/metering/ingest-usage.ts';

/**
 * Largest answer body sent with every event's message and id. Why a bound at all: with an `Idempotency-Key`, the
 * whole answer is kept in one DynamoDB item (Powertools idempotency), and an item holds at most 400 KB. The answer is
 * stored as a JSON string inside another JSON string, so each byte of it may take up to two bytes there (a `"` in an
 * echoed id becomes `\"`, then `\\\"`): 150,000 bytes stay below 300 KB stored, leaving room for the record's other
 * attributes. Ordinary answers are far smaller (1,000 accepted events: about 32 KB).
 */
export const MAX_DETAILED_ANSWER_BYTES = 150_000;

/** One event in the short form: what happened to it, without the echoed id or the explanation. */
export type ShortEventResult = Pick<UsageEventResult, 'index' | 'status' | 'reason'>;

/** The `202` body of `POST /v1/usage`. */
export type UsageAnswer =
  | {
      readonly accepted: number;
      readonly rejected: number;
      readonly duplicate: number;
      readonly results: readonly UsageEventResult[];
    }
  | {
      readonly accepted: number;
      readonly rejected: number;
      readonly duplicate: number;
      readonly results: readonly ShortEventResult[];
      /** For each rejection reason in the answer: its first event and that event's full explanation. */
      readonly explanations: Readonly<Record<string, { readonly index: number; readonly message: string }>>;
      readonly note: string;
    };

/**
 * The answer to a usage request: a result per event, with the event's id and, for a rejection, a message saying
 * what to fix. When that detailed answer would exceed `MAX_DETAILED_ANSWER_BYTES` (many rejections with long ids or
 * dimension names), the short form is given instead: still a result and a reason per event, plus one full
 * explanation per reason. A short answer of 1,000 events stays under 80 KB, so a request is never refused (or
 * answered 5xx after its usage was queued) because its answer could not be remembered.
 */
export function usageAnswer(result: Omit<IngestUsageResult, 'markers'>): { body: UsageAnswer; text: string } {
  const detailed = {
    accepted: result.accepted,
    rejected: result.rejected,
    duplicate: result.duplicate,
    results: result.results,
  };
  const text = JSON.stringify(detailed);
  if (Buffer.byteLength(text, 'utf8') <= MAX_DETAILED_ANSWER_BYTES) return { body: detailed, text };

  const explanations: Record<string, { index: number; message: string }> = {};
  const results = result.results.map(({ index, status, reason, message }): ShortEventResult => {
    if (reason !== undefined && explanations[reason] === undefined) {
      explanations[reason] = { index, message: message ?? '' };
    }
    return reason === undefined ? { index, status } : { index, status, reason };
  });
  const short = {
    accepted: result.accepted,
    rejected: result.rejected,
    duplicate: result.duplicate,
    results,
    explanations,
    note:
      `The answer with every event's id and message would exceed ${MAX_DETAILED_ANSWER_BYTES} bytes, so each event ` +
      'has its status and reason only, and `explanations` gives the full message of the first event of each reason. ' +
      'Events are identified by their index in the request.',
  };
  return { body: short, text: JSON.stringify(short) };
}
