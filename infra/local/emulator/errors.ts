/**
 * Error bodies in the shapes Microsoft's APIs use, so a client's error parsing is exercised for real.
 */
import { HttpError } from './http.ts';

/**
 * Fulfillment API error: `{ "error": { "code", "message" } }`, the documented body (reference §1.1, "Documented 5xx
 * body"). The reference gives no other shape for 400/403/404/409, so the same one is used for them.
 */
export function fulfillmentError(status: number, code: string, message: string): HttpError {
  return new HttpError(status, { error: { code, message } });
}

export const badRequest = (message: string) => fulfillmentError(400, 'BadRequest', message);
export const notFound = (message: string) => fulfillmentError(404, 'NotFound', message);
export const conflict = (message: string) => fulfillmentError(409, 'Conflict', message);

/**
 * Metering API error (reference §4.1, 400 body example):
 * `{ message, target, details: [{ message, target, code }], code }`.
 */
export function meteringError(status: number, code: string, message: string, target = 'usageEventRequest'): HttpError {
  return new HttpError(status, meteringErrorBody(code, message, target));
}

export function meteringErrorBody(code: string, message: string, target = 'usageEventRequest') {
  return {
    message: 'One or more errors have occurred.',
    target,
    details: [{ message, target, code }],
    code,
  };
}

/** Control API error: `{ error: { code, message } }` with a plain HTTP status. */
export class ControlError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
