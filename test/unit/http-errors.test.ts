import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_ERROR_STATUS, statusOf, toErrorResponse } from '#shared/http/errors.ts';
import { bodyOf } from '#test/helpers/http-event.ts';

/**
 * The answers to Powertools Idempotency's errors, which `shared/http/errors.ts` recognises by name so that the HTTP
 * functions do not bundle the package: the real classes must still map to their status and message.
 */
describe('the answer to an Idempotency-Key error', () => {
  it('names exactly the errors the package throws, as the package names them', () => {
    expect(new IdempotencyValidationError('x').name).toBe('IdempotencyValidationError');
    expect(new IdempotencyAlreadyInProgressError('x').name).toBe('IdempotencyAlreadyInProgressError');
    expect(Object.keys(IDEMPOTENCY_ERROR_STATUS).sort()).toEqual([
      'IdempotencyAlreadyInProgressError',
      'IdempotencyValidationError',
    ]);
  });

  it('is 422 for a key reused with another body and 409 while the first request runs, each saying what to do', () => {
    const reused = toErrorResponse(new IdempotencyValidationError('payload hash differs'));
    const running = toErrorResponse(new IdempotencyAlreadyInProgressError('in progress'));

    expect(reused.statusCode).toBe(422);
    expect(bodyOf(reused)).toEqual({
      error: { code: 'IdempotencyKeyReused', message: expect.stringMatching(/use a new key for new content/) },
    });
    expect(running.statusCode).toBe(409);
    expect(bodyOf(running)).toEqual({ error: { code: 'Conflict', message: expect.stringMatching(/retry in a few/) } });
  });

  it('does not take another error for one of them by its message or a look-alike name', () => {
    expect(statusOf(new Error('IdempotencyValidationError'))).toBeUndefined();
    expect(statusOf({ name: 'IdempotencyValidationError' })).toBeUndefined();
    expect(statusOf(Object.assign(new Error('x'), { name: 'toString' }))).toBeUndefined();
  });
});
