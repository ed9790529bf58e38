/**
 * How a failed marketplace call becomes one of the port's errors (`shared/use-cases/ports/marketplace-errors.ts`):
 * by HTTP status and the error body Microsoft sends (reference/marketplace-api.md §1.1, §4.1), with messages that say
 * what to check and carry the request and correlation ids Microsoft support asks for.
 */
import { isAxiosError } from 'axios';
import type * as z from 'zod';
import {
  MarketplaceBadRequestError,
  type MarketplaceCallInfo,
  MarketplaceConflictError,
  MarketplaceError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceUnavailableError,
  UsageEventConflictError,
} from '#shared/use-cases/ports/marketplace-errors.ts';
import { MARKETPLACE_SCOPE } from './access-token-cache.ts';
import type { CallContext } from './marketplace-call-context.ts';
import { errorBodySchema, jsonBody } from './marketplace-schemas.ts';

/**
 * The port's error for a call that failed: `error` is what axios (or a request interceptor) threw, `context` the
 * call's bookkeeping after its last attempt.
 *
 * 400 → `MarketplaceBadRequestError` (with Microsoft's details), 401/403 → `MarketplaceForbiddenError`, 404 →
 * `MarketplaceNotFoundError`, 409 on a single usage event → `UsageEventConflictError` (with the accepted event),
 * other 409 → `MarketplaceConflictError`, 429/5xx and network failures → `MarketplaceUnavailableError`, a cancelled
 * call or anything else → `MarketplaceError`. A `MarketplaceError` already thrown (e.g. a token error) passes through.
 */
export function marketplaceErrorOf(error: unknown, context: CallContext): MarketplaceError {
  if (error instanceof MarketplaceError) {
    return error;
  }
  if (!isAxiosError(error)) {
    return new MarketplaceError(`Marketplace ${context.operation} failed: ${String(error)}`, context.info(), {
      cause: error,
    });
  }
  const response = error.response;
  if (!response) {
    const reason =
      error.code === 'ERR_CANCELED'
        ? 'was cancelled'
        : `could not reach the marketplace (${error.code ?? error.message})`;
    const message =
      `Marketplace ${context.operation} ${reason} after ${context.attempts} attempt(s)` +
      (context.stopReason ? `; ${context.stopReason}` : '');
    return error.code === 'ERR_CANCELED'
      ? new MarketplaceError(message, context.info(), { cause: error })
      : new MarketplaceUnavailableError(message, { ...context.info(), attempts: context.attempts }, { cause: error });
  }
  const status = response.status;
  const body = errorBodySchema.safeParse(jsonBody(response.data));
  const parsed = body.success ? body.data : { details: [] };
  const info = context.info(status, parsed.code);
  const said = parsed.message ? `: ${parsed.message}` : '';
  const ids = `(request id ${context.requestId}, correlation id ${context.correlationId})`;
  if (status === 400) {
    const details = parsed.details
      .map((detail) => [detail.target, detail.message ?? detail.code].filter(Boolean).join(': '))
      .join('; ');
    return new MarketplaceBadRequestError(
      `Marketplace refused ${context.operation} (400 ${parsed.code ?? 'BadRequest'})${said}${details ? ` [${details}]` : ''} ${ids}`,
      { ...info, target: parsed.target, details: parsed.details },
      { cause: error },
    );
  }
  if (status === 401 || status === 403) {
    return new MarketplaceForbiddenError(
      `Marketplace answered ${status} to ${context.operation}${said}. The access token was not accepted: in Partner ` +
        "Center, check that the offer's Technical configuration page lists this app's Entra tenant id and " +
        `application (client) id, that the subscription belongs to an offer of that publisher, and that the token ` +
        `is requested for the marketplace resource (scope ${MARKETPLACE_SCOPE}) ${ids}`,
      info,
      { cause: error },
    );
  }
  if (status === 404) {
    return new MarketplaceNotFoundError(`Marketplace ${context.operation}: not found${said} ${ids}`, info, {
      cause: error,
    });
  }
  // Only the single-event POST answers 409 with the accepted event (§4.1); the batch reports `Duplicate` per item.
  if (status === 409 && context.operation === 'postUsageEvent') {
    const accepted = parsed.acceptedMessage;
    return new UsageEventConflictError(
      `An event was already accepted for this resource, dimension and hour` +
        (accepted ? ` (usageEventId ${accepted.usageEventId ?? '?'}, quantity ${accepted.quantity ?? '?'})` : '') +
        ` ${ids}`,
      { ...info, acceptedMessage: accepted },
      { cause: error },
    );
  }
  if (status === 409) {
    return new MarketplaceConflictError(`Marketplace ${context.operation}: conflict${said} ${ids}`, info, {
      cause: error,
    });
  }
  if (status === 429 || status >= 500) {
    return new MarketplaceUnavailableError(
      `Marketplace ${context.operation} kept failing (last answer ${status}${said}) after ${context.attempts} ` +
        `attempt(s)${context.stopReason ? `; ${context.stopReason}` : ''}; try again later ${ids}`,
      { ...info, attempts: context.attempts },
      { cause: error },
    );
  }
  return new MarketplaceError(`Marketplace answered ${status} to ${context.operation}${said} ${ids}`, info, {
    cause: error,
  });
}

/**
 * The error for a successful answer whose body lacks what we cannot work without (an id, a status): each schema
 * issue as `path: message`, `(body)` when the whole body is at fault.
 */
export function unusableBodyError(
  operation: string | undefined,
  info: MarketplaceCallInfo,
  issues: z.ZodError['issues'],
): MarketplaceError {
  const problems = issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  return new MarketplaceError(
    `Marketplace answered ${operation ?? 'a call'} with a body we cannot use: ${problems.join('; ')}`,
    info,
  );
}
