import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { logger } from '#shared/observability.ts';
import { activatePurchase } from '#shared/use-cases/fulfillment/activate-purchase.ts';
import { openLandingPage } from '#shared/use-cases/fulfillment/open-landing-page.ts';
import type { LandingDeps } from '#shared/use-cases/fulfillment/resolve-purchase.ts';
import { chooseLanguage, conflictPage, invalidTokenPage, landingPage, unavailablePage } from './pages.ts';
import { tokenFromForm, tokenFromQuery } from './schema.ts';

type LandingRoute = {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
};

const languageOf = (event: APIGatewayProxyEventV2) => chooseLanguage(event.headers?.['accept-language']);

/** `GET /landing` shows the purchase (or its state); `POST /landing` activates it. Both re-resolve the token. */
export function landingRoutes(deps: LandingDeps): LandingRoute[] {
  const render = (
    event: APIGatewayProxyEventV2,
    token: string | undefined,
    view: Awaited<ReturnType<typeof openLandingPage>>,
  ) => landingPage(view, { language: languageOf(event), formAction: event.rawPath || '/landing', token: token ?? '' });
  return [
    {
      method: 'GET',
      path: '/landing',
      handler: async (event) => {
        const token = tokenFromQuery(event);
        return render(event, token, await openLandingPage(deps, { token, requestId: event.requestContext.requestId }));
      },
    },
    {
      method: 'POST',
      path: '/landing',
      handler: async (event) => {
        const token = tokenFromForm(event);
        return render(event, token, await activatePurchase(deps, { token, requestId: event.requestContext.requestId }));
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
