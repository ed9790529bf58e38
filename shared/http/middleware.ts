import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { Principal } from '#shared/domain/access.ts';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { type ErrorResponseOptions, statusOf, toErrorResponse } from '#shared/http/errors.ts';
import { presentedApiKey } from '#shared/http/request.ts';
import {
  cookieOf,
  openSession,
  requireCsrf,
  SESSION_COOKIE,
  type SessionKeys,
  type SignedInUser,
} from '#shared/http/session.ts';
import { logger } from '#shared/observability.ts';
import { type AuthenticateDeps, authenticateApiKey } from '#shared/use-cases/access/authenticate-api-key.ts';
import {
  principalOfSignedInUser,
  type SignedInPrincipalDeps,
} from '#shared/use-cases/access/principal-of-signed-in-user.ts';

/** Lambda context with the authenticated caller, set by `apiKeyAuth` or `apiKeyOrSessionAuth`. */
export interface AuthContext extends Context {
  principal: Principal;
  /** The signed-in user when the request was made with the session cookie (not with an API key). */
  user?: SignedInUser;
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

export interface SessionAuthDeps extends AuthenticateDeps, SignedInPrincipalDeps {
  /** The cookie keys, from the session secret (read from Secrets Manager on first use, then cached). */
  readonly sessionKeys: () => Promise<SessionKeys>;
  /** The public origin (`PUBLIC_BASE_URL`) for the CSRF origin check, when the API has a custom domain. */
  readonly publicOrigin?: string;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Like `apiKeyAuth`, and also accepts the portal's session cookie (`mm_session`) when no key is presented: the
 * signed-in user's principal (publisher admin, partner or customer, `principalOfSignedInUser`); a state-changing
 * request made with the cookie must pass the CSRF check (`requireCsrf`). A request with a key is handled exactly as
 * `apiKeyAuth` handles it, cookie or not, and one with neither gets the same "missing API key" answer.
 */
export function apiKeyOrSessionAuth(
  deps: SessionAuthDeps,
  options: { readonly publicRouteKeys?: ReadonlySet<string> } = {},
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    before: async (request: HttpRequest) => {
      if (options.publicRouteKeys?.has(request.event.routeKey)) return;
      const key = presentedApiKey(request.event);
      const sessionCookie = key === undefined ? cookieOf(request.event, SESSION_COOKIE) : undefined;
      if (sessionCookie === undefined) {
        const principal = await authenticateApiKey(deps, key);
        (request.context as AuthContext).principal = principal;
        logger.appendKeys({ keyId: principal.keyId, role: principal.role });
        return;
      }
      const user = await openSession(await deps.sessionKeys(), sessionCookie);
      if (!user) {
        throw new UnauthenticatedError(
          'Your sign-in session has expired or is not valid: sign in again at /auth/sign-in.',
        );
      }
      if (STATE_CHANGING.has(request.event.requestContext.http.method.toUpperCase()))
        requireCsrf(request.event, user, undefined, deps.publicOrigin);
      const principal = await principalOfSignedInUser(deps, user);
      const context = request.context as AuthContext;
      context.principal = principal;
      context.user = user;
      logger.appendKeys({ keyId: principal.keyId, role: principal.role, tenantId: user.tenantId });
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
