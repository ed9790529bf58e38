import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { Principal } from '#shared/domain/access.ts';
import { type ErrorResponseOptions, statusOf, toErrorResponse } from '#shared/http/errors.ts';
import { presentedApiKey } from '#shared/http/request.ts';
import { logger } from '#shared/observability.ts';
import { type AuthenticateDeps, authenticateApiKey } from '#shared/use-cases/access/authenticate-api-key.ts';

/** Lambda context with the authenticated caller, set by `apiKeyAuth`. */
export interface AuthContext extends Context {
  principal: Principal;
}

type HttpRequest = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2, Error, Context>;

/**
 * Requires a valid API key on every request and puts the caller's principal on the context.
 * The one place where our own API checks credentials: routes only check scope.
 * @param options.publicRouteKeys route keys (`GET /openapi.json`) served without a key. API Gateway sets the matched
 *   route's key on the event, so a public route must be a literal route of its own (infra/functions.ts), never one
 *   reached through a greedy route.
 */
export function apiKeyAuth(
  deps: AuthenticateDeps,
  options: { readonly publicRouteKeys?: ReadonlySet<string> } = {},
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request: HttpRequest) => {
      if (options.publicRouteKeys?.has(request.event.routeKey)) return;
      const principal = await authenticateApiKey(deps, presentedApiKey(request.event));
      (request.context as AuthContext).principal = principal;
      logger.appendKeys({ keyId: principal.keyId, role: principal.role });
    },
  };
}

/**
 * Turns thrown errors into responses: 4xx with the message that says what to fix, 5xx generic to the caller and
 * logged in full. Attach it last, so it wraps every other middleware.
 */
export function httpErrors(
  options: ErrorResponseOptions = {},
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request: HttpRequest) => {
      const error = request.error;
      const status = statusOf(error);
      // A 503 is ours (a dependency is down) even though its message is meant for the caller: log it in full.
      if (status === undefined || status >= 500) logger.error('Request failed', { error });
      // The full reason stays in the log even when the answer hides it (`opaqueUnauthorized`).
      else logger.info('Request refused', { status, error: error?.message });
      request.response = toErrorResponse(error, options);
    },
  };
}
