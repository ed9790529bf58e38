import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthenticatedError,
  ValidationError,
} from '#shared/domain/errors.ts';

/**
 * The one table from domain errors to HTTP status codes (checked with `instanceof`, most specific first).
 * 4xx messages reach the caller because they say what to fix; anything else is a 500 whose body says nothing
 * about our internals (the full error is logged by the caller of `toErrorResponse`).
 */
/**
 * Powertools Idempotency's errors, by the names its classes set: the same Idempotency-Key with another body is a
 * client bug; the same key while the first request still runs is a conflict to retry shortly. Matched by name, not
 * class, because importing the classes loads the whole idempotency package (and its JMESPath engine, ~30 KB) into
 * every HTTP function, while only UsageIngest uses it (request-idempotency.ts; test/unit/http-errors.test.ts checks
 * the names against the package's classes).
 */
export const IDEMPOTENCY_ERROR_STATUS: Readonly<Record<string, { status: number; message: string }>> = {
  IdempotencyValidationError: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different body: use a new key for new content.',
  },
  IdempotencyAlreadyInProgressError: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed: retry in a few seconds.',
  },
};

const idempotencyErrorOf = (error: unknown) =>
  error instanceof Error && Object.hasOwn(IDEMPOTENCY_ERROR_STATUS, error.name)
    ? IDEMPOTENCY_ERROR_STATUS[error.name]
    : undefined;

const STATUS_BY_ERROR: readonly [new (...args: never[]) => Error, number][] = [
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ValidationError, 400],
  [TooManyRequestsError, 429],
  [ServiceUnavailableError, 503],
];

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * The HTTP status for an error; undefined means "unexpected": answer 500. Only 503 (`ServiceUnavailableError`) is a
 * 5xx with a message for the caller, because it tells them to retry.
 */
export function statusOf(error: unknown): number | undefined {
  const idempotency = idempotencyErrorOf(error);
  if (idempotency) return idempotency.status;
  for (const [type, status] of STATUS_BY_ERROR) if (error instanceof type) return status;
  // middy's own errors (e.g. the router's 404 for an unknown route) carry a status and say whether to expose it.
  if (error instanceof Error && 'statusCode' in error && 'expose' in error && error.expose === true) {
    const status = Number(error.statusCode);
    if (status >= 400 && status < 500) return status;
  }
  return undefined;
}

/** How errors are answered on one endpoint. */
export interface ErrorResponseOptions {
  /**
   * Answer every 401 with the body `unauthorized` only. For endpoints called by a third party we authenticate (the
   * marketplace webhook): why a token failed ("claim aud is not as expected") helps a forger, not Microsoft; the
   * reason is logged instead (`httpErrors`).
   */
  readonly opaqueUnauthorized?: boolean;
}

/** The response for an error: the 4xx message says what to fix; 5xx are generic (the caller logs them). */
export function toErrorResponse(error: unknown, options: ErrorResponseOptions = {}): APIGatewayProxyStructuredResultV2 {
  const status = statusOf(error);
  if (status === undefined || !(error instanceof Error)) {
    return jsonResponse(500, {
      error: { code: 'InternalError', message: 'Something went wrong on our side; it has been logged. Try again.' },
    });
  }
  const body: ErrorBody = {
    error: {
      code: error instanceof DomainError ? error.name : (CODE_BY_STATUS[status] ?? 'BadRequest'),
      message: status === 401 && options.opaqueUnauthorized ? 'unauthorized' : messageFor(error, status),
      ...(error instanceof ValidationError && error.field ? { field: error.field } : {}),
    },
  };
  const headers: Record<string, string> | undefined =
    status === 401
      ? { 'www-authenticate': 'Bearer realm="marketplace-metering"' }
      : status === 503
        ? { 'retry-after': '5' }
        : error instanceof TooManyRequestsError
          ? { 'retry-after': String(Math.max(1, Math.ceil(error.retry.afterSeconds))) }
          : undefined;
  return jsonResponse(status, body, headers);
}

const CODE_BY_STATUS: Record<number, string> = { 404: 'NotFound', 409: 'Conflict', 422: 'IdempotencyKeyReused' };

function messageFor(error: Error, status: number): string {
  if (error instanceof DomainError) return error.message;
  const idempotency = idempotencyErrorOf(error);
  if (idempotency) return idempotency.message;
  if (status === 404) return 'No such route: check the method and path.';
  return error.message;
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return jsonTextResponse(statusCode, JSON.stringify(body), headers);
}

/** `jsonResponse` for a body serialized already (when its size had to be known first). */
export function jsonTextResponse(
  statusCode: number,
  json: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: json,
  };
}
