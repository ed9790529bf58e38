import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DETAILED_ANSWER_BYTES, usageAnswer } from '#functions/usage-ingest/answer.ts';
import type { UsageRejectionReason } from '#shared/domain/usage/usage-event.ts';
import type { UsageEventResult } from '#shared/use-cases/metering/ingest-usage.ts';

const REASONS: UsageRejectionReason[] = [
  'unknownSubscription',
  'notSubscribed',
  'unknownDimension',
  'invalidQuantity',
  'timestampInFuture',
  'timestampTooOld',
];
/** The bound the short form keeps, whatever the ids and messages: what the idempotency record can always hold. */
const SHORT_ANSWER_BOUND_BYTES = 80_000;

const resultOf = (
  index: number,
  event: { id?: string; reason?: UsageRejectionReason; message: string },
): UsageEventResult => ({
  index,
  ...(event.id === undefined ? {} : { id: event.id }),
  ...(event.reason === undefined
    ? { status: 'accepted' as const }
    : { status: 'rejected' as const, reason: event.reason, message: event.message }),
});
const summary = (results: UsageEventResult[]) => ({
  accepted: results.filter((r) => r.status === 'accepted').length,
  rejected: results.filter((r) => r.status === 'rejected').length,
  duplicate: results.filter((r) => r.status === 'duplicate').length,
  results,
});

describe('the answer to a usage request', () => {
  it('gives every event its id and message when the answer is of ordinary size', () => {
    const results = [
      resultOf(0, { id: 'a', message: '' }),
      resultOf(1, { id: 'b', reason: 'unknownDimension', message: 'dimension "x" is not metered on plan "basic"' }),
    ];

    const { body, text } = usageAnswer(summary(results));

    expect(body).toEqual({ accepted: 1, rejected: 1, duplicate: 0, results });
    expect(JSON.parse(text)).toEqual(body);
  });

  it('gives 1,000 rejections with long ids and messages in the short form, one explanation per reason', () => {
    const long = 'x'.repeat(255);
    const results = Array.from({ length: 1000 }, (_, index) =>
      resultOf(index, {
        id: `${long.slice(0, 250)}${index}`,
        reason: index % 2 === 0 ? 'unknownDimension' : 'unknownSubscription',
        message: `explanation of event ${index}: ${long}`,
      }),
    );

    const { body, text } = usageAnswer(summary(results));

    expect(Buffer.byteLength(text)).toBeLessThan(SHORT_ANSWER_BOUND_BYTES);
    expect(body).toMatchObject({
      accepted: 0,
      rejected: 1000,
      explanations: {
        unknownDimension: { index: 0, message: `explanation of event 0: ${long}` },
        unknownSubscription: { index: 1, message: `explanation of event 1: ${long}` },
      },
    });
    expect(body.results[999]).toEqual({ index: 999, status: 'rejected', reason: 'unknownSubscription' });
    expect('note' in body && body.note).toContain('explanations');
  });

  it('always fits what an idempotency record can hold, and keeps each event’s status and reason', () => {
    const event = fc.record(
      {
        id: fc.string({ maxLength: 255, size: 'max', unit: fc.constantFrom('a', '"', '\\', 'é', '7') }),
        reason: fc.constantFrom(...REASONS),
        message: fc.string({ maxLength: 600, size: 'max', unit: fc.constantFrom('m', '"', ' ', '“') }),
      },
      { requiredKeys: ['message'] },
    );
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 1000, size: 'max' }), (events) => {
        const results = events.map((e, index) => resultOf(index, e));

        const { body, text } = usageAnswer(summary(results));

        const bytes = Buffer.byteLength(text);
        const detailed = !('explanations' in body);
        // The record keeps the answer as a JSON string inside a JSON string: at most twice its size.
        expect(2 * bytes).toBeLessThan(400_000 - 20_000);
        if (detailed) expect(bytes).toBeLessThanOrEqual(MAX_DETAILED_ANSWER_BYTES);
        else expect(bytes).toBeLessThan(SHORT_ANSWER_BOUND_BYTES);
        expect(JSON.parse(text)).toEqual(body);
        expect(body.results.map(({ index, status, reason }) => ({ index, status, reason }))).toEqual(
          results.map(({ index, status, reason }) => ({ index, status, reason })),
        );
      }),
      { numRuns: 40 },
    );
  });
});
