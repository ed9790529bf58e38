/**
 * The marketplace HTTP server: `/api/...` speaks the Fulfillment and Metering APIs; `/_emulator/...` is the control
 * API when it shares the port. Every marketplace request goes through, in order:
 * 1. request ids: `x-ms-requestid` / `x-ms-correlationid` echoed, generated when absent (§1.1);
 * 2. route match (404 / 405);
 * 3. fault injection (latency, 500/503, 429, drop before applying);
 * 4. `api-version=2018-08-31` (400 otherwise; §0: the only value of both OpenAPI enums);
 * 5. authentication: a bearer token of the fake Entra, RS256 with its key, `aud` = the marketplace resource
 *    `20e940b3-…`, not expired on the emulator clock; the publisher is identified by `tid` + `appid` (the v1 tokens
 *    Entra issues for this resource; Microsoft's own SaaS emulator does the same), or `azp` in a v2 token. Anything
 *    else, a missing token included, is 403 (§1.1: "403 means the token is missing/invalid/expired or the offer was
 *    published with a different Entra app id");
 * 6. the route, then maybe a drop after applying it (the answer is lost, the change is not).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MARKETPLACE_RESOURCE_ID } from './entra.ts';
import { fulfillmentError, meteringErrorBody } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import { API_VERSION } from './fulfillment.ts';
import { HttpError, type Reply, readBody, sleep, writeReply } from './http.ts';
import { matchRoute, type Route } from './router.ts';

export interface MarketplaceServerDeps {
  readonly routes: readonly Route[];
  readonly faults: FaultInjector;
  readonly verifyToken: (token: string) => Promise<Record<string, unknown>>;
  readonly publisher: { readonly tenantId: string; readonly clientId: string };
  /** Handles `/_emulator...` when the control API shares this port. */
  readonly control?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;
  readonly log: (line: string) => void;
}

export function createMarketplaceServer(deps: MarketplaceServerDeps): Server {
  return createServer((request, response) => {
    void handle(deps, request, response).catch((error: unknown) => {
      deps.log(`marketplace: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) {
        writeReply(response, {
          status: 500,
          body: { error: { code: 'InternalServerError', message: 'internal error' } },
        });
      }
    });
  });
}

async function handle(deps: MarketplaceServerDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (deps.control && (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/'))) {
    await deps.control(request, response, url);
    return;
  }
  const ids = {
    'x-ms-requestid': headerOf(request, 'x-ms-requestid') ?? randomUUID(),
    'x-ms-correlationid': headerOf(request, 'x-ms-correlationid') ?? randomUUID(),
  };
  const method = request.method ?? 'GET';
  const rawBody = await readBody(request);
  if (!url.pathname.startsWith('/api/')) {
    writeReply(response, { status: 404, body: fulfillmentError(404, 'NotFound', 'No such API.').body }, ids);
    return;
  }
  const path = url.pathname.slice('/api'.length);
  const matched = matchRoute(deps.routes, method, path);
  if (!matched) {
    writeReply(response, { status: 404, body: fulfillmentError(404, 'NotFound', `No route ${path}.`).body }, ids);
    return;
  }
  if ('methodNotAllowed' in matched) {
    writeReply(
      response,
      { status: 405, body: fulfillmentError(405, 'MethodNotAllowed', `${method} ${path}`).body },
      ids,
    );
    return;
  }
  const { route, params } = matched;
  const metering = route.group === 'metering';
  const errorReply = (status: number, code: string, message: string): Reply => ({
    status,
    body: metering ? meteringErrorBody(code, message, 'request') : fulfillmentError(status, code, message).body,
  });

  const fault = deps.faults.decide(route, method, path);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  switch (fault.action) {
    case 'error500':
      writeReply(response, errorReply(500, 'InternalServerError', 'Injected fault: internal server error.'), ids);
      return;
    case 'error503':
      writeReply(response, errorReply(503, 'ServiceUnavailable', 'Injected fault: service unavailable.'), ids);
      return;
    case 'throttle':
      writeReply(
        response,
        {
          ...errorReply(429, 'TooManyRequests', 'Injected fault: too many requests.'),
          headers: { 'retry-after': String(fault.retryAfterSeconds) },
        },
        ids,
      );
      return;
    case 'dropBefore':
      request.socket.destroy();
      return;
    default:
      break;
  }

  let reply: Reply;
  try {
    if (url.searchParams.get('api-version') !== API_VERSION) {
      throw new HttpError(
        400,
        errorReply(400, 'BadArgument', `The api-version query parameter must be ${API_VERSION}.`).body,
      );
    }
    await authenticate(deps, request, errorReply);
    reply = await route.handle({ method, url, params, headers: request.headers, rawBody });
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    reply = { status: error.status, body: error.body, headers: error.headers };
  }
  if (fault.action === 'dropAfter') {
    request.socket.destroy();
    return;
  }
  writeReply(response, reply, ids);
}

async function authenticate(
  deps: MarketplaceServerDeps,
  request: IncomingMessage,
  errorReply: (status: number, code: string, message: string) => Reply,
): Promise<void> {
  const forbidden = (message: string) => {
    const reply = errorReply(403, 'Forbidden', message);
    return new HttpError(403, reply.body);
  };
  const header = headerOf(request, 'authorization');
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw forbidden('An Authorization: Bearer token is required.');
  let claims: Record<string, unknown>;
  try {
    claims = await deps.verifyToken(match[1]);
  } catch (error) {
    throw forbidden(`The access token is invalid or expired (${(error as Error).message}).`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(MARKETPLACE_RESOURCE_ID)) {
    throw forbidden(`The access token is not for the marketplace API (aud must be ${MARKETPLACE_RESOURCE_ID}).`);
  }
  // v1 tokens (what Entra issues for this resource) name the caller in `appid`; v2 tokens in `azp`.
  const appId = claims.ver === '2.0' ? claims.azp : claims.appid;
  if (appId !== deps.publisher.clientId || claims.tid !== deps.publisher.tenantId) {
    throw forbidden(
      "The access token's application is not the one on the offer's Technical configuration page: check the app id and tenant id.",
    );
  }
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
