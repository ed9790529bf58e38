import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '#shared/domain/errors.ts';
import { statusOf } from '#shared/http/errors.ts';
import { html, htmlResponse } from '#shared/http/html.ts';
import {
  CSRF_FORM_FIELD,
  cookie,
  cookieOf,
  isLocalPath,
  openSession,
  openSignIn,
  originOf,
  requireCsrf,
  SESSION_COOKIE,
  SESSION_LIFETIME_SECONDS,
  SIGN_IN_COOKIE,
  SIGN_IN_LIFETIME_SECONDS,
  sealSession,
  sealSignIn,
} from '#shared/http/session.ts';
import { logger } from '#shared/observability.ts';
import { portalAsset, readAssetManifest } from './assets.ts';
import type { PortalDependencies } from './dependencies.ts';
import { type PortalView, portalPage } from './pages.ts';
import { formField, portalLanguage } from './schema.ts';

type PortalRoute = {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
};

/** Where a signed-in user lands when the sign-in was not started from a page. */
const DEFAULT_RETURN_TO = '/portal';
/** The callback path registered on the sign-in app (redirect URI `https://<api host or custom domain>/auth/callback`). */
export const CALLBACK_PATH = '/auth/callback';

const redirect = (location: string, cookies: string[] = [], statusCode = 302): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'same-origin' },
  cookies,
});

/** The path and query of this request, to come back to after signing in. */
const hereOf = (event: APIGatewayProxyEventV2) =>
  `${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;

/** `/auth/sign-in?returnTo=<this request>`: what a page answers a visitor without a session. */
export const signInRedirect = (event: APIGatewayProxyEventV2) =>
  redirect(`/auth/sign-in?${new URLSearchParams({ returnTo: hereOf(event) })}`);

/** The view of a `/portal/...` path, or undefined when there is none. */
function viewOf(proxy: string): PortalView | undefined {
  const parts = proxy.split('/').filter(Boolean);
  if (parts.length === 0) return { kind: 'home' };
  const [section, id, ...rest] = parts;
  if (id === undefined || rest.length > 0) return undefined;
  if (section === 'subscriptions') return { kind: 'subscription', subscriptionId: decodeURIComponent(id) };
  if (section === 'partners') return { kind: 'partner', partnerId: decodeURIComponent(id) };
  return undefined;
}

/**
 * Sign-in with Microsoft (`/auth/*`) and the portal's pages and assets (`/portal/*`). The pages are shells: their
 * script reads everything from `/v1` with the session cookie, so no data is decided here.
 */
export function portalRoutes(deps: PortalDependencies): PortalRoute[] {
  const page = async (event: APIGatewayProxyEventV2, proxy: string) => {
    if (proxy === 'assets' || proxy.startsWith('assets/')) {
      return portalAsset(deps.assetsDir, proxy.slice('assets/'.length), event.headers['accept-encoding']);
    }
    const view = viewOf(proxy);
    if (!view) return simplePage(404, 'Page not found', 'There is no portal page at this address.', '/portal');
    const user = await openSession(await deps.sessionKeys(), cookieOf(event, SESSION_COOKIE));
    if (!user) return signInRedirect(event);
    const rendered = portalPage({
      view,
      language: portalLanguage(event),
      csrfToken: user.csrfToken,
      assets: await readAssetManifest(deps.assetsDir),
    });
    return { statusCode: rendered.statusCode, headers: rendered.headers, body: rendered.body };
  };

  return [
    { method: 'GET', path: '/portal', handler: (event) => page(event, '') },
    { method: 'GET', path: '/portal/{proxy+}', handler: (event) => page(event, event.pathParameters?.proxy ?? '') },
    {
      method: 'GET',
      path: '/auth/sign-in',
      handler: async (event) => {
        const returnTo = event.queryStringParameters?.returnTo ?? DEFAULT_RETURN_TO;
        if (!isLocalPath(returnTo)) {
          throw new ValidationError(
            'returnTo must be a path on this site (starting with a single /); sign-in never sends you to another site.',
          );
        }
        const { url, checks } = await deps.signIn.start(`${originOf(event, deps.publicOrigin)}${CALLBACK_PATH}`);
        const transaction = await sealSignIn(await deps.sessionKeys(), { ...checks, returnTo });
        return redirect(url, [cookie(SIGN_IN_COOKIE, transaction, SIGN_IN_LIFETIME_SECONDS)]);
      },
    },
    {
      method: 'GET',
      path: CALLBACK_PATH,
      handler: async (event) => {
        const keys = await deps.sessionKeys();
        const transaction = await openSignIn(keys, cookieOf(event, SIGN_IN_COOKIE));
        if (!transaction) {
          throw new UnauthenticatedError(
            'This sign-in took too long or was started in another browser: please sign in again.',
          );
        }
        const callbackUrl = new URL(
          `${originOf(event, deps.publicOrigin)}${CALLBACK_PATH}?${event.rawQueryString ?? ''}`,
        );
        const identity = await deps.signIn.finish(callbackUrl, transaction);
        const session = await sealSession(keys, identity);
        logger.info('Signed in', { tenantId: identity.tenantId, objectId: identity.objectId });
        return redirect(transaction.returnTo, [
          cookie(SESSION_COOKIE, session.value, SESSION_LIFETIME_SECONDS),
          cookie(SIGN_IN_COOKIE, '', 0),
        ]);
      },
    },
    {
      method: 'POST',
      path: '/auth/sign-out',
      handler: async (event) => {
        const user = await openSession(await deps.sessionKeys(), cookieOf(event, SESSION_COOKIE));
        // Only a live session is worth protecting: without one there is nothing to sign out of, and the answer is
        // the same signed-out page.
        if (user) requireCsrf(event, user, formField(event, CSRF_FORM_FIELD), deps.publicOrigin);
        const signedOut = simplePage(
          200,
          'You are signed out',
          'Your session in this portal has ended. You may still be signed in to Microsoft in this browser.',
          '/portal',
          'Sign in again',
        );
        return { ...signedOut, cookies: [cookie(SESSION_COOKIE, '', 0)] };
      },
    },
  ];
}

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2>;

/**
 * Errors as pages: a sign-in that failed or expired is a 401 with a link to sign in again, a refused returnTo a 400,
 * a failed CSRF check a 403 saying what was missing, anything else a 500 with a reference to our logs.
 */
export function portalErrors(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request: Request) => {
      const error = request.error;
      const status = statusOf(error);
      if (error instanceof UnauthenticatedError) {
        logger.info('Sign-in refused', { error: error.message, cause: String(error.cause ?? '') });
        request.response = simplePage(401, 'Sign-in did not complete', error.message, '/auth/sign-in', 'Sign in');
        return;
      }
      if (error instanceof ValidationError || error instanceof ForbiddenError) {
        logger.info('Portal request refused', { status, error: error.message });
        request.response = simplePage(status ?? 400, 'Request refused', error.message, '/portal');
        return;
      }
      logger.error('Portal request failed', { error });
      request.response = simplePage(
        500,
        'Something went wrong on our side',
        `Please try again in a few minutes. Reference: ${request.event.requestContext?.requestId ?? 'none'}`,
        '/portal',
      );
    },
  };
}

/** A small page of our own (sign-in problems, signed out, not found); no styles, so no CSP hash. */
function simplePage(
  statusCode: number,
  title: string,
  message: string,
  link: string,
  linkText = 'Go to the portal',
): APIGatewayProxyStructuredResultV2 {
  const response = htmlResponse(
    statusCode,
    html`<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body><main><h1>${title}</h1><p>${message}</p><p><a href="${link}">${linkText}</a></p></main></body>
</html>`,
    { styleHashes: [] },
  );
  return response;
}
