import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConflictError, ForbiddenError, ValidationError } from '#shared/domain/errors.ts';
import { cookieOf, openSession, requireCsrf, SESSION_COOKIE, type SignedInUser } from '#shared/http/session.ts';
import { logger } from '#shared/observability.ts';
import { activatePurchase } from '#shared/use-cases/fulfillment/activate-purchase.ts';
import { openLandingPage } from '#shared/use-cases/fulfillment/open-landing-page.ts';
import type { LandingPageDeps } from './dependencies.ts';
import {
  chooseLanguage,
  conflictPage,
  forbiddenPage,
  invalidTokenPage,
  landingPage,
  unavailablePage,
} from './pages.ts';
import { csrfTokenFromForm, tokenFromForm, tokenFromQuery } from './schema.ts';

type LandingRoute = {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
};

const languageOf = (event: APIGatewayProxyEventV2) => chooseLanguage(event.headers?.['accept-language']);

/**
 * Where a visitor without a session goes: the sign-in (served by the Portal function), which brings them back to
 * `returnTo` — the same landing URL with its token, so nothing of the purchase is lost.
 */
const signInFirst = (returnTo: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 303,
  headers: {
    location: `/auth/sign-in?${new URLSearchParams({ returnTo })}`,
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
  },
});

/**
 * `GET /landing` shows the purchase (or its state); `POST /landing` activates it. Both require a signed-in user
 * (Microsoft's landing-page guidance: sign the customer in with Entra ID first), and both re-resolve the token.
 */
export function landingRoutes(deps: LandingPageDeps): LandingRoute[] {
  const signedIn = async (event: APIGatewayProxyEventV2) =>
    openSession(await deps.sessionKeys(), cookieOf(event, SESSION_COOKIE));
  const render = (
    event: APIGatewayProxyEventV2,
    token: string | undefined,
    user: SignedInUser,
    view: Awaited<ReturnType<typeof openLandingPage>>,
  ) =>
    landingPage(view, {
      language: languageOf(event),
      formAction: event.rawPath || '/landing',
      token: token ?? '',
      csrfToken: user.csrfToken,
      signedInAs: user.email ? `${user.name ?? user.email} <${user.email}>` : (user.name ?? user.objectId),
    });
  return [
    {
      method: 'GET',
      path: '/landing',
      handler: async (event) => {
        const token = tokenFromQuery(event);
        const user = await signedIn(event);
        if (!user)
          return signInFirst(`${event.rawPath || '/landing'}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`);
        return render(
          event,
          token,
          user,
          await openLandingPage(deps, { token, requestId: event.requestContext.requestId }),
        );
      },
    },
    {
      method: 'POST',
      path: '/landing',
      handler: async (event) => {
        const token = tokenFromForm(event);
        const user = await signedIn(event);
        // The session ended while the page was open: sign in again and come back to the page, then click again.
        if (!user) return signInFirst(`/landing${token ? `?${new URLSearchParams({ token })}` : ''}`);
        requireCsrf(event, user, csrfTokenFromForm(event), deps.publicOrigin);
        const activatedBy = {
          tenantId: user.tenantId,
          objectId: user.objectId,
          ...(user.name ? { name: user.name } : {}),
          ...(user.email ? { email: user.email } : {}),
        };
        return render(
          event,
          token,
          user,
          await activatePurchase(deps, { token, requestId: event.requestContext.requestId, user: activatedBy }),
        );
      },
    },
  ];
}

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2>;

/**
 * Errors as pages a customer can act on: a bad or expired token is a 400 telling them how to get a fresh one, a refused
 * activation a 409 saying why, anything else a 500 with a reference to our logs (and never our internals).
 * Attach it last, so it wraps every other middleware.
 */
export function landingErrors(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request: Request) => {
      const error = request.error;
      const language = languageOf(request.event);
      if (error instanceof ValidationError) {
        logger.info('Landing page refused a token', { error: error.message });
        request.response = invalidTokenPage(language);
        return;
      }
      if (error instanceof ForbiddenError) {
        logger.warn('Activation refused: CSRF check failed', { error: error.message });
        request.response = forbiddenPage(language, error.message);
        return;
      }
      if (error instanceof ConflictError) {
        logger.warn('Activation refused', { error: error.message });
        request.response = conflictPage(language, error.message);
        return;
      }
      logger.error('Landing page failed', { error });
      request.response = unavailablePage(language, 500, request.event.requestContext?.requestId);
    },
  };
}
