import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiDependencies } from '#functions/api/dependencies.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { idParamSchema } from '#functions/api/schema.ts';
import type { PublisherOperationsDependencies } from '#functions/publisher-operations/dependencies.ts';
import { publisherOperationRoutes } from '#functions/publisher-operations/routes.ts';
import {
  API_FUNCTION,
  HTTP_ROUTES,
  type HttpRouteDefinition,
  matchHttpRoute,
  PUBLISHER_OPERATIONS_FUNCTION,
} from '#infra/functions.ts';
import type { ApiRoute } from '#shared/http/api-route.ts';
import { SESSION_COOKIE } from '#shared/http/session.ts';
import { type Answer, type Auth, type ErrorStatus, OPERATIONS, type OperationDescription } from './operations.ts';
import { errorBody } from './responses.ts';

/** A route the code serves: `GET /v1/me`, with the function that serves it. */
export interface ServedRoute {
  readonly method: string;
  readonly path: string;
  readonly functionId: string;
  /** The route is public (no credential), e.g. `GET /openapi.json`, `GET /auth/sign-in`. */
  readonly public?: boolean;
  /**
   * The route also accepts the portal's session cookie instead of an API key: every non-public route of the Api
   * function, whose handler authenticates with `apiKeyOrSessionAuth` (shared/http/middleware.ts).
   */
  readonly session?: boolean;
}

/** The functions of the project's API: their routes take an API key or the portal's session cookie. */
const SESSION_FUNCTIONS: ReadonlySet<string> = new Set([API_FUNCTION.id, PUBLISHER_OPERATIONS_FUNCTION.id]);

export const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

/**
 * Every route the deployed API serves, from the code: the literal routes of `HTTP_ROUTES` (infra/functions.ts) and
 * every route of the Api function's router (functions/api/routes.ts), which API Gateway reaches through
 * `ANY /v1/{proxy+}` or a literal route. A route added to either is listed here without anything else to change.
 * @throws Error when an Api route cannot be reached through `HTTP_ROUTES` (API Gateway would never call it), or when a
 *   literal route uses `ANY` (its operations could not be listed).
 */
export function servedRoutes(routes: readonly HttpRouteDefinition[] = HTTP_ROUTES): ServedRoute[] {
  const served = new Map<string, ServedRoute>();
  for (const route of routes) {
    // The Api's greedy route: its operations are the Api's router's, below. Another function's greedy route (the
    // portal's pages) is one operation of its own.
    if (route.path.includes('+}') && route.functionId === API_FUNCTION.id) continue;
    for (const method of route.methods) {
      if (method === 'ANY') throw new Error(`${route.path}: ANY on a route cannot be described; name the methods`);
      served.set(routeKey({ method, path: route.path }), {
        method,
        path: route.path,
        functionId: route.functionId,
        ...(route.auth === 'public' ? { public: true } : {}),
        ...(SESSION_FUNCTIONS.has(route.functionId) && route.auth !== 'public' ? { session: true } : {}),
      });
    }
  }
  // Listing the routers' routes only creates closures over the dependencies; none is used until a request comes.
  const routers: readonly (readonly [string, readonly ApiRoute[]])[] = [
    [API_FUNCTION.id, apiRoutes({} as ApiDependencies)],
    [PUBLISHER_OPERATIONS_FUNCTION.id, publisherOperationRoutes({} as PublisherOperationsDependencies)],
  ];
  for (const [functionId, functionRoutes] of routers) {
    for (const route of functionRoutes) {
      const sample = route.path.replace(/\{[^}]+\}/g, 'x');
      const match = matchHttpRoute(route.method, sample, routes);
      if (match?.route.functionId !== functionId) {
        throw new Error(
          `${routeKey(route)} is a route of the ${functionId} function that API Gateway never sends to it: add it ` +
            'to HTTP_ROUTES in infra/functions.ts (or, for the Api, serve it under /v1/).',
        );
      }
      served.set(routeKey(route), {
        method: route.method,
        path: route.path,
        functionId,
        ...(route.public ? { public: true } : { session: true }),
      });
    }
  }
  return [...served.values()];
}

/**
 * Routes without a description and descriptions without a route (stale), each with what to do. Empty when the
 * description covers exactly what the code serves.
 */
export function describeGaps(
  routes: readonly ServedRoute[] = servedRoutes(),
  operations: Readonly<Record<string, OperationDescription>> = OPERATIONS,
): string[] {
  const keys = new Set(routes.map(routeKey));
  const gaps: string[] = [];
  for (const route of routes) {
    const description = operations[routeKey(route)];
    if (!description) {
      gaps.push(
        `${routeKey(route)} (${route.functionId}) has no description: add it to OPERATIONS in infra/openapi/operations.ts`,
      );
    } else if ((description.auth === 'none') !== (route.public === true)) {
      gaps.push(
        `${routeKey(route)}: the description says auth "${description.auth}" but the route is ${route.public ? '' : 'not '}public`,
      );
    }
  }
  for (const key of Object.keys(operations)) {
    if (!keys.has(key))
      gaps.push(`${key} is described but no function serves it: remove it from infra/openapi/operations.ts`);
  }
  return gaps;
}

const SECURITY: Readonly<Record<Auth, Record<string, string[]>[]>> = {
  apiKey: [{ apiKeyBearer: [] }, { apiKeyHeader: [] }],
  entraBearer: [{ marketplaceEntraToken: [] }],
  landingToken: [],
  session: [{ portalSession: [] }],
  none: [],
};

/** What a route accepts: its own credential and, on the Api's routes, the portal's session as an alternative. */
const securityOf = (route: ServedRoute, description: OperationDescription) =>
  route.session && description.auth === 'apiKey'
    ? [...SECURITY.apiKey, ...SECURITY.session]
    : SECURITY[description.auth];

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A state-changing request made with the session cookie carries the page's CSRF token (shared/http/session.ts). */
const csrfHeader = z.object({
  'x-csrf-token': z
    .string()
    .optional()
    .meta({
      description:
        'Required with the portal\'s session cookie (not with an API key): the page\'s `<meta name="csrf-token">`. ' +
        'The request must also come from the same origin (`Origin`, else `Referer`); otherwise 403.',
    }),
});

const needsCsrf = (route: ServedRoute) => route.session === true && STATE_CHANGING.has(route.method);

/** The path as OpenAPI writes it: API Gateway's greedy `{proxy+}` becomes the parameter `{proxy}`. */
export const documentPath = (path: string) => path.replace(/\{(\w+)\+\}/g, '{$1}');

/** Example error bodies: what our functions answer for each status (shared/http/errors.ts). */
const ERROR_EXAMPLES: Readonly<Record<number, { description: string; code: string; message: string; field?: string }>> =
  {
    400: {
      description: 'Invalid input: the message says what to fix and `field` names it',
      code: 'ValidationError',
      message: 'Invalid request: body.plannedMonthlyAmount.amount must be a decimal string such as "1234.56"',
      field: 'body.plannedMonthlyAmount.amount',
    },
    401: {
      description: 'No valid credential',
      code: 'UnauthenticatedError',
      message: 'Missing API key: send it as `Authorization: Bearer mmk_…` or `x-api-key: mmk_…`.',
    },
    403: {
      description: 'The key may not do this or see this resource',
      code: 'ForbiddenError',
      message: 'Only a publisher key may read the audit trail of a subscription; this request used a partner key.',
    },
    404: {
      description: 'No such resource',
      code: 'NotFoundError',
      message: 'No subscription with id a1b2c3d4-0000-4000-8000-000000000001.',
    },
    409: {
      description: 'Refused in the current state (or the same Idempotency-Key is still being processed)',
      code: 'ConflictError',
      message: "The reseller's credit level blocks price-raising changes of this subscription this month.",
    },
    413: {
      description: 'The body is too large',
      code: 'PayloadTooLargeError',
      message: 'Request body is 1200000 bytes; at most 1000000 are accepted: split it into smaller requests.',
      field: 'body',
    },
    422: {
      description: 'The Idempotency-Key was used with another body',
      code: 'IdempotencyKeyReused',
      message: 'This Idempotency-Key was already used with a different body: use a new key for new content.',
    },
    429: {
      description: 'Asked again too soon: the message says when (also `retry-after`, in seconds)',
      code: 'TooManyRequestsError',
      message:
        'A confirmation message was sent to billing@fabrikam.example at 2026-12-07T01:00:00.000Z; one is sent at most ' +
        'once every 24 hours, so that nobody can flood an address through this API. Ask again from ' +
        '2026-12-08T01:00:00.000Z, or ask the person to use the link of the message already sent (valid for 7 days).',
    },
    500: {
      description: 'Failed on our side (logged); retry later',
      code: 'InternalError',
      message: 'Something went wrong on our side; it has been logged. Try again.',
    },
    503: {
      description: 'A dependency (Microsoft, the table, the queue) is unavailable: retry after `retry-after` seconds',
      code: 'ServiceUnavailableError',
      message: 'The marketplace did not answer in time: retry in a few seconds.',
    },
  };

/** The error answers, as examples (exported so the test parses each with the error schema). */
export function errorExample(status: number): { error: { code: string; message: string; field?: string } } {
  const example = ERROR_EXAMPLES[status];
  if (!example) throw new Error(`No error example for status ${status}`);
  const { code, message, field } = example;
  return { error: { code, message, ...(field ? { field } : {}) } };
}

const wwwAuthenticate = z.object({
  'www-authenticate': z
    .string()
    .meta({ description: 'Bearer realm="marketplace-metering"', example: 'Bearer realm="marketplace-metering"' }),
});
const retryAfter = z.object({ 'retry-after': z.string().meta({ description: 'Seconds to wait', example: '5' }) });

/** The statuses of the errors a route can answer: what every route gets plus the ones its description names. */
export function errorStatuses(route: ServedRoute, description: OperationDescription): number[] {
  const statuses = new Set<number>(description.errors ?? []);
  // A page for a browser (the landing page, the portal) answers its errors as pages, listed with its answers.
  if (description.answers[500]?.contentType === 'text/html') return [...statuses];
  if (needsCsrf(route)) statuses.add(403);
  const readsInput =
    description.body !== undefined ||
    description.query !== undefined ||
    description.headers !== undefined ||
    needsCsrf(route) ||
    route.path.includes('{');
  if (readsInput) statuses.add(400);
  if (description.auth === 'apiKey' || description.auth === 'entraBearer') statuses.add(401);
  statuses.add(500);
  for (const status of Object.keys(description.answers).map(Number)) statuses.delete(status);
  return [...statuses].sort((a, b) => a - b);
}

function answerObject(answer: Answer) {
  const contentType = answer.contentType ?? 'application/json';
  return {
    description: answer.description,
    ...(answer.headers ? { headers: answer.headers } : {}),
    ...(answer.schema
      ? {
          content: {
            [contentType]: {
              schema: answer.schema,
              ...(answer.example === undefined ? {} : { example: answer.example }),
            },
          },
        }
      : {}),
  };
}

const errorAnswerId = (status: number, auth: Auth) =>
  status === 401 && auth === 'entraBearer' ? 'MarketplaceUnauthorized' : `Error${status}`;

/** One object per error answer: zod-openapi registers it under components.responses by identity. */
const errorAnswers = new Map<string, ReturnType<typeof newErrorAnswer>>();

function errorAnswer(status: ErrorStatus | 400 | 401 | 500, auth: Auth) {
  const key = errorAnswerId(status, auth);
  const known = errorAnswers.get(key);
  if (known) return known;
  const answer = newErrorAnswer(status, auth);
  errorAnswers.set(key, answer);
  return answer;
}

function newErrorAnswer(status: ErrorStatus | 400 | 401 | 500, auth: Auth) {
  const example = ERROR_EXAMPLES[status];
  const body =
    status === 401 && auth === 'entraBearer'
      ? { error: { code: 'UnauthenticatedError', message: 'unauthorized' } }
      : errorExample(status);
  return {
    // Named once under components.responses and referred to by every operation that answers it.
    id: errorAnswerId(status, auth),
    description: example?.description ?? `Error ${status}`,
    ...(status === 401
      ? { headers: wwwAuthenticate }
      : status === 503 || status === 429
        ? { headers: retryAfter }
        : {}),
    content: { 'application/json': { schema: errorBody, example: body } },
  };
}

/** The operation's description and, for an API-key route, the roles allowed. */
function describeOperation(route: ServedRoute, description: OperationDescription): string | undefined {
  const roles =
    description.auth === 'apiKey'
      ? `API key roles: ${(description.roles ?? []).map((role) => `\`${role}\``).join(', ')} (each within its scope).`
      : undefined;
  const session = route.session
    ? `Or the portal's session cookie \`${SESSION_COOKIE}\` (a signed-in user's role and scope, docs/portal.md)${
        needsCsrf(route) ? ', with its `X-CSRF-Token` header from the same origin' : ''
      }.`
    : undefined;
  const text = [description.description, roles, session].filter(Boolean).join('\n\n');
  return text || undefined;
}

function operationObject(route: ServedRoute, description: OperationDescription): ZodOpenApiOperationObject {
  const pathNames = [...documentPath(route.path).matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
  const path = pathNames.length
    ? z.object(Object.fromEntries(pathNames.map((name) => [name, description.pathParams?.[name] ?? idParamSchema])))
    : undefined;
  const headers = needsCsrf(route)
    ? description.headers
      ? description.headers.extend(csrfHeader.shape)
      : csrfHeader
    : description.headers;
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(description.answers)) responses[status] = answerObject(answer);
  for (const status of errorStatuses(route, description)) {
    responses[String(status)] = errorAnswer(status as ErrorStatus, description.auth);
  }
  return {
    operationId: description.operationId,
    summary: description.summary,
    ...(describeOperation(route, description) ? { description: describeOperation(route, description) } : {}),
    tags: [description.tag],
    security: securityOf(route, description),
    ...(path || description.query || headers
      ? {
          requestParams: {
            ...(path ? { path } : {}),
            ...(description.query ? { query: description.query } : {}),
            ...(headers ? { header: headers } : {}),
          },
        }
      : {}),
    ...(description.body
      ? {
          requestBody: {
            required: true,
            content: {
              [description.body.contentType ?? 'application/json']: {
                schema: description.body.schema,
                example: description.body.example,
              },
            },
          },
        }
      : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/**
 * The OpenAPI 3.1 description of every route the code serves, from the zod schemas that validate the requests and
 * the response schemas bound to the use cases (infra/openapi/responses.ts). `npm run openapi` writes it to
 * docs/openapi.json, which the Api function serves at `GET /openapi.json` and renders at `GET /docs/api`.
 * @throws Error listing every route without a description and every description without a route.
 */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  const routes = servedRoutes();
  const gaps = describeGaps(routes);
  if (gaps.length > 0) throw new Error(`The OpenAPI description does not match the routes:\n- ${gaps.join('\n- ')}`);
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  const ordered = [...routes].sort(
    (a, b) => a.path.localeCompare(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
  );
  for (const route of ordered) {
    const description = OPERATIONS[routeKey(route)] as OperationDescription;
    const path = documentPath(route.path);
    paths[path] ??= {};
    (paths[path] as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = operationObject(
      route,
      description,
    );
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Marketplace metering and fulfillment API',
      version: '1',
      description:
        "The publisher's API of this Microsoft commercial marketplace integration: usage, subscriptions, budgets and " +
        'alerts, reseller partners and credit levels, day packs, publisher operations, reporting; and the two routes ' +
        'Microsoft calls (the landing page and the webhook). Generated from the zod schemas that validate the ' +
        'requests (`npm run openapi`). Errors: `{ "error": { "code", "message", "field"? } }`, the message saying what to fix.',
    },
    tags: [...new Set(Object.values(OPERATIONS).map((operation) => operation.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        apiKeyBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'mmk_<key id>_<secret>',
          description: 'An API key of this system as `Authorization: Bearer mmk_…` (docs/api-and-keys.md)',
        },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'The same API key as `x-api-key: mmk_…`',
        },
        portalSession: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            "The portal's session cookie, set by `GET /auth/callback` after signing in with Microsoft (docs/portal.md " +
            '"Sign-in and access"): the signed-in user\'s role and scope. Accepted by every route of the Api function ' +
            'instead of an API key (a request with a key is judged by the key); a state-changing request with it must ' +
            'send the `X-CSRF-Token` header and come from the same origin.',
        },
        marketplaceEntraToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "An Entra ID token Microsoft's marketplace obtains for this app (audience: the app's client id; issuer: the " +
            "marketplace's tenant); verified before the body is read. 401 bodies say only `unauthorized`.",
        },
      },
    },
    paths: paths as ZodOpenApiPathsObject,
  });
}

const METHOD_ORDER = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'];

/** Where the document is committed (and what the Api function serves). */
export const OPENAPI_FILE = 'docs/openapi.json';

/** The document as committed: two-space JSON and a final newline (stable, so `git diff` shows real changes). */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

/** The module that carries the document into the Api function, compressed (`compressedOpenApiModule`). */
export const OPENAPI_MODULE_FILE = 'functions/api/openapi-document.generated.ts';

/**
 * The source of OPENAPI_MODULE_FILE: the document without indentation, gzip-compressed, as base64. Bundled as an
 * object literal, the document was about 140 KB of every Api bundle, parsed at every cold start for a route a few
 * people call; compressed it is about 20 KB, expanded on the first request for it.
 */
export function compressedOpenApiModule(text: string = openApiText()): string {
  const compressed = gzipSync(JSON.stringify(JSON.parse(text)), { level: 9 }).toString('base64');
  return [
    '// Generated by `npm run openapi` from docs/openapi.json (infra/openapi/document.ts): do not edit.',
    '/** The OpenAPI description, minified JSON, gzip-compressed, base64-encoded (functions/api/docs-routes.ts). */',
    `export const OPENAPI_DOCUMENT_GZIP_BASE64 =\n  '${compressed}';`,
    '',
  ].join('\n');
}
