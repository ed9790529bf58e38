import { UnauthenticatedError } from '#shared/domain/errors.ts';

/** What a verified marketplace webhook token says about its sender. */
export interface WebhookCaller {
  readonly tenantId: string;
  readonly appId: string;
  readonly tokenVersion: '1.0' | '2.0';
  /**
   * Set only for a smoke check's test webhook (shared/domain/test-subscriptions.ts): the one test subscription its
   * token names (`sub`). Such a call may touch that subscription only, and never reaches Microsoft.
   */
  readonly testSubscriptionId?: string;
}

/** Checks that a webhook call comes from Microsoft's marketplace for this publisher (DESIGN invariant 5). */
export interface WebhookAuthenticator {
  /**
   * @param authorization the `Authorization` header as received.
   * @param query the query string parameters of the call (for the optional shared secret).
   * @throws UnauthenticatedError when anything about the call is not as Microsoft sends it.
   */
  verify(
    authorization: string | undefined,
    query: Readonly<Record<string, string | undefined>>,
  ): Promise<WebhookCaller>;
}

/**
 * A refused call that carries a token Entra signed for Microsoft's marketplace app (only Microsoft can obtain one):
 * Microsoft itself is calling, and this deployment's tenant or app id does not match the offer's Technical
 * configuration, so every change Microsoft notifies is refused. Answered 401 like any refusal, but it needs an
 * operator at once (`WebhookRefusingCalls`), unlike the refusal of a made-up token.
 */
export class MarketplaceCallRefusedError extends UnauthenticatedError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // The caller gets the same answer as for any refusal (code `UnauthenticatedError`): only our count differs.
    this.name = UnauthenticatedError.name;
  }
}
