/**
 * Errors of the `Marketplace` port. They live beside the port (not in the HTTP adapter) so use cases can catch them
 * with `instanceof` without importing the adapter; `http-marketplace.ts` re-exports them.
 *
 * None extends the domain's `ForbiddenError`/`NotFoundError`/...: a 403 or 404 from Microsoft is our problem (a
 * misconfiguration or a stale id), not the API caller's, so the HTTP layer must answer 500 unless a use case
 * translates it on purpose.
 */
import { DomainError } from '#shared/domain/errors.ts';
import type { AcceptedUsageEvent, MarketplaceErrorDetail } from './marketplace.ts';

/** Where a failed call went, for logs and support cases (§1.1: the ids Microsoft asks for). */
export interface MarketplaceCallInfo {
  /** Our name of the operation, e.g. `getSubscription`. */
  readonly operation: string;
  /** HTTP status, when an answer arrived. */
  readonly status?: number;
  readonly requestId?: string;
  readonly correlationId?: string;
  /** The error `code` of the body, e.g. `BadArgument`, `Conflict`. */
  readonly code?: string;
  /** HTTP attempts made, retries included. */
  readonly attempts?: number;
}

/** Base of every error the marketplace client throws (other than `ValidationError` for bad input). */
export class MarketplaceError extends DomainError {
  readonly operation: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly code?: string;
  readonly attempts?: number;

  constructor(message: string, info: MarketplaceCallInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.operation = info.operation;
    this.status = info.status;
    this.requestId = info.requestId;
    this.correlationId = info.correlationId;
    this.code = info.code;
    this.attempts = info.attempts;
  }
}

/**
 * 403 (or 401): the token is not accepted. Almost always a registration mistake (§1.1, §6.1): the token was minted
 * for another Entra app or tenant than the ones on the offer's Technical configuration page, or for another scope.
 */
export class MarketplaceForbiddenError extends MarketplaceError {}

/** 404: the subscription or operation does not exist (or, for Activate, the subscription is Unsubscribed). */
export class MarketplaceNotFoundError extends MarketplaceError {}

/** 400: Microsoft refused the request; `details` says why (e.g. `[{code:"BadArgument",target:"ResourceId",...}]`). */
export class MarketplaceBadRequestError extends MarketplaceError {
  readonly target?: string;
  readonly details: readonly MarketplaceErrorDetail[];

  constructor(
    message: string,
    info: MarketplaceCallInfo & { readonly target?: string; readonly details?: readonly MarketplaceErrorDetail[] },
    options?: { cause?: unknown },
  ) {
    super(message, info, options);
    this.target = info.target;
    this.details = info.details ?? [];
  }
}

/** 409 on an operation update: e.g. a newer update was already fulfilled (§1.2 #11). */
export class MarketplaceConflictError extends MarketplaceError {}

/**
 * 409 on a single usage event (§4.1, §6.7): an event was already accepted for this resource + dimension + UTC hour.
 * `acceptedMessage` is that original event: when its quantity equals ours, ours was already billed (typically a retry
 * after a lost answer) and the caller should treat it as success; otherwise the difference is lost for that hour.
 */
export class UsageEventConflictError extends MarketplaceError {
  readonly acceptedMessage?: AcceptedUsageEvent;

  constructor(
    message: string,
    info: MarketplaceCallInfo & { readonly acceptedMessage?: AcceptedUsageEvent },
    options?: { cause?: unknown },
  ) {
    super(message, info, options);
    this.acceptedMessage = info.acceptedMessage;
  }
}

/**
 * The marketplace kept answering 429/5xx, or could not be reached, until the retry bound (attempts or time budget)
 * was reached. Retry later; for metering, fold the quantity into a later attempt within 24 h (§4.3 outage handling).
 */
export class MarketplaceUnavailableError extends MarketplaceError {
  /** How many HTTP attempts were made. */
  declare readonly attempts: number;

  constructor(
    message: string,
    info: MarketplaceCallInfo & { readonly attempts: number },
    options?: { cause?: unknown },
  ) {
    super(message, info, options);
  }
}

/** No access token could be obtained from Entra ID: the credential (secret, certificate or federation) is wrong. */
export class MarketplaceTokenError extends MarketplaceError {
  /** `secret`, `certificate`, `assertion`, or `custom` for a credential passed in by the caller. */
  readonly credentialKind: string;

  constructor(
    message: string,
    info: MarketplaceCallInfo & { readonly credentialKind: string },
    options?: { cause?: unknown },
  ) {
    super(message, info, options);
    this.credentialKind = info.credentialKind;
  }
}

/** `waitForOperation` gave up before the operation reached Succeeded, Failed or Conflict. */
export class OperationWaitTimeoutError extends MarketplaceError {
  /** The last status seen. */
  readonly lastStatus?: string;

  constructor(message: string, info: MarketplaceCallInfo & { readonly lastStatus?: string }) {
    super(message, info);
    this.lastStatus = info.lastStatus;
  }
}
