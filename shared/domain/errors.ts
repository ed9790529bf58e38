/**
 * Base of every error the domain throws on purpose. Subclasses end in `Error`; the HTTP layer maps them to
 * status codes with `instanceof` (see `shared/http/errors.ts`), never by name strings.
 */
export class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that breaks a business rule the caller can fix (maps to 400 or 422). */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    /** Where the problem is, e.g. `offers[contoso].plans[gold].freeTrial`. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The thing asked for does not exist (maps to 404). */
export class NotFoundError extends DomainError {}

/** The request conflicts with the current state (maps to 409). */
export class ConflictError extends DomainError {}

/**
 * A stored value no longer passes the rules it is read with (written by an older version with looser rules, or by
 * hand). Maps to 409: the caller cannot fix the request, but can replace the value (the message says how). Readers
 * that only use the value in passing treat it as absent instead of failing (a bad budget must not make a
 * subscription's usage unreadable).
 */
export class StoredValueInvalidError extends ConflictError {
  constructor(
    message: string,
    /** The field of the stored value that fails, e.g. `plannedMonthlyAmount.amount`. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The same request was made too recently: it may be repeated from `retryAt` on (maps to 429 with `Retry-After`).
 * For rules about people, not load (a confirmation message at most once a day per contact), so the message says
 * when and why.
 */
export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    /** When the request may be repeated, and how long that is from now on the thrower's clock (`Retry-After`). */
    readonly retry: { readonly at: Date; readonly afterSeconds: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No credential, or one we do not recognise (maps to 401). */
export class UnauthenticatedError extends DomainError {}

/** A valid credential that may not do this (maps to 403). */
export class ForbiddenError extends DomainError {}

/**
 * The request body is larger than the operation accepts (maps to 413). A `ValidationError`, so code that handles
 * bad input in general handles it too; the HTTP table checks it first for its own status.
 */
export class PayloadTooLargeError extends ValidationError {}

/**
 * A dependency this request needs is unavailable for now (maps to 503). The message is written for the caller
 * (it says to retry and how to do so safely); the cause is logged in full.
 */
export class ServiceUnavailableError extends DomainError {}
