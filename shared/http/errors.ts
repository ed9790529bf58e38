import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '#shared/domain/errors.ts';

/**
 * The one table from domain errors to HTTP status codes (checked with `instanceof`, most specific first).
 * 4xx messages reach the caller because they say what to fix; anything else is a 500 whose body says nothing
 * about our internals (the full error is logged by the caller of `toErrorResponse`).
 */
const STATUS_BY_ERROR: readonly [new (...args: never[]) => Error, number][] = [
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ValidationError, 400],
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
  for (const [type, status] of STATUS_BY_ERROR) if (error instanceof type) return status;
  // middy's own errors (e.g. the router's 404 for an unknown route) carry a status and say whether to expose it.
  if (error instanceof Error && 'statusCode' in error && 'expose' in error && error.expose === true) {
    const status = Number(error.statusCode);
    if (status >= 400 && status < 500) return status;
  }
  return undefined;
}

export function toErrorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const status = statusOf(error);
  if (status === undefined || !(error instanceof Error)) {
    return jsonResponse(500, {
      error: { code: 'InternalError', message: 'Something went wrong on our side; it has been logged. Try again.' },
    });
  }
  const body: ErrorBody = {
    error: {
      code: error instanceof DomainError ? error.name : status === 404 ? 'NotFound' : 'BadRequest',
      message:
        status === 404 && !(error instanceof DomainError) ? 'No such route: check the method and path.' : error.message,
      ...(error instanceof ValidationError && error.field ? { field: error.field } : {}),
    },
  };
  const headers: Record<string, string> | undefined =
    status === 401
      ? { 'www-authenticate': 'Bearer realm="marketplace-metering"' }
      : status === 503
        ? { 'retry-after': '5' }
        : undefined;
  return jsonResponse(status, body, headers);
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}
