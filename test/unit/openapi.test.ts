import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { webhookSchema } from '#functions/fulfillment-webhook/schema.ts';
import { HTTP_ROUTES } from '#infra/functions.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import {
  buildOpenApiDocument,
  describeGaps,
  documentPath,
  errorExample,
  errorStatuses,
  OPENAPI_FILE,
  OPENAPI_MODULE_FILE,
  openApiText,
  routeKey,
  servedRoutes,
} from '#infra/openapi/document.ts';
import { OPERATIONS } from '#infra/openapi/operations.ts';
import { errorBody } from '#infra/openapi/responses.ts';

/**
 * The OpenAPI description (infra/openapi/) against the code: it covers exactly the routes the functions serve, each
 * with its auth, input, answers and errors; its examples are valid for its schemas (by zod, the source of truth, and
 * by a JSON Schema 2020-12 validator on the generated document); it passes an OpenAPI validator; and the committed
 * docs/openapi.json is what the code generates.
 */

type Document = ReturnType<typeof buildOpenApiDocument>;
type Operation = NonNullable<NonNullable<Document['paths']>[string]['get']>;

const document = buildOpenApiDocument();
const operationOf = (method: string, path: string) =>
  (document.paths?.[documentPath(path)] as Record<string, Operation> | undefined)?.[method.toLowerCase()];

describe('the OpenAPI description', () => {
  it('is the committed docs/openapi.json', () => {
    const committed = readFileSync(resolve(REPO_ROOT, OPENAPI_FILE), 'utf8');

    // Not toEqual: a 200 KB diff helps nobody, the instruction does.
    if (committed !== openApiText()) {
      expect.fail(`${OPENAPI_FILE} differs from what the zod schemas generate: run \`npm run openapi\` and commit it.`);
    }
  });

  it('is what the Api function carries, compressed', () => {
    const committed = readFileSync(resolve(REPO_ROOT, OPENAPI_MODULE_FILE), 'utf8');
    const carried = /'([A-Za-z0-9+/=]+)'/.exec(committed)?.[1] ?? '';

    // Compared expanded: gzip's bytes may differ between zlib versions for the same text.
    const expanded = gunzipSync(Buffer.from(carried, 'base64')).toString('utf8');
    if (expanded !== JSON.stringify(JSON.parse(openApiText()))) {
      expect.fail(`${OPENAPI_MODULE_FILE} differs from docs/openapi.json: run \`npm run openapi\` and commit it.`);
    }
  });

  it('passes the OpenAPI validator', async () => {
    const result = await validate(structuredClone(document) as never);

    expect(result.valid ? [] : result.errors.map((error) => error.message)).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
  });

  describe('covers every route', () => {
    it('describes every route of infra/functions.ts and of the Api function’s router, and nothing else', () => {
      expect(describeGaps()).toEqual([]);
    });

    it('lists the routes of infra/functions.ts and the router’s routes behind the Api’s greedy one', () => {
      const keys = servedRoutes().map(routeKey);
      const own = HTTP_ROUTES.filter((route) => !route.path.includes('+}') || route.functionId !== 'Api').flatMap(
        (route) => route.methods.map((method) => `${method} ${route.path}`),
      );

      expect(keys).toEqual(expect.arrayContaining(own));
      expect(keys).toEqual(
        expect.arrayContaining([
          'POST /v1/usage',
          'POST /webhook',
          'GET /landing',
          'GET /v1/me',
          'GET /portal/{proxy+}',
        ]),
      );
      expect(keys.filter((key) => key.includes('+}'))).toEqual(['GET /portal/{proxy+}']);
      // OpenAPI has no greedy parameter: the document names it `{proxy}`, described as the rest of the path.
      expect(Object.keys(document.paths ?? {}).filter((path) => path.includes('+}'))).toEqual([]);
      expect(operationOf('GET', '/portal/{proxy+}')?.parameters).toContainEqual(
        expect.objectContaining({ in: 'path', name: 'proxy', required: true }),
      );
    });

    it('names a new route of the code until it is described, and a description whose route is gone', () => {
      const routes = [...servedRoutes(), { method: 'GET', path: '/v1/not-yet-described', functionId: 'Api' }];
      const { 'GET /v1/me': _removed, ...operations } = OPERATIONS;

      expect(describeGaps(routes, { ...operations, 'GET /v1/gone': OPERATIONS['GET /v1/me'] as never })).toEqual([
        'GET /v1/me (Api) has no description: add it to OPERATIONS in infra/openapi/operations.ts',
        'GET /v1/not-yet-described (Api) has no description: add it to OPERATIONS in infra/openapi/operations.ts',
        'GET /v1/gone is described but no function serves it: remove it from infra/openapi/operations.ts',
      ]);
    });

    it('names a public route described as needing a key, and a keyed route described as public', () => {
      const openapi = OPERATIONS['GET /openapi.json'];
      const me = OPERATIONS['GET /v1/me'];
      const operations = {
        ...OPERATIONS,
        'GET /openapi.json': { ...openapi, auth: 'apiKey' } as typeof openapi & {},
        'GET /v1/me': { ...me, auth: 'none' } as typeof me & {},
      };

      expect(describeGaps(servedRoutes(), operations)).toEqual([
        'GET /openapi.json: the description says auth "apiKey" but the route is public',
        'GET /v1/me: the description says auth "none" but the route is not public',
      ]);
    });

    it('refuses a route of the Api function that API Gateway would never send to it', () => {
      const withoutDocs = HTTP_ROUTES.filter((route) => route.path !== '/docs/api');

      expect(() => servedRoutes(withoutDocs)).toThrow(/GET \/docs\/api is a route of the Api function .* HTTP_ROUTES/);
    });

    it('gives every operation its auth, input, answers and error answers', () => {
      const problems: string[] = [];
      for (const route of servedRoutes()) {
        const key = routeKey(route);
        const operation = operationOf(route.method, route.path);
        const description = OPERATIONS[key];
        if (!operation || !description) {
          problems.push(`${key}: missing`);
          continue;
        }
        const responses = operation.responses as Record<string, unknown>;
        const statuses = Object.keys(responses).map(Number);
        // A sign-in step succeeds with a redirect.
        if (!statuses.some((status) => status >= 200 && status < 400)) problems.push(`${key}: no success answer`);
        for (const status of [...errorStatuses(route, description), 500]) {
          if (!responses[String(status)]) problems.push(`${key}: no ${status} answer`);
        }
        if (!operation.security) problems.push(`${key}: no security requirement`);
        const pathNames = [...documentPath(route.path).matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        const parameters = (operation.parameters ?? []) as { name: string; in: string; required?: boolean }[];
        for (const name of pathNames) {
          if (
            !parameters.some((parameter) => parameter.in === 'path' && parameter.name === name && parameter.required)
          ) {
            problems.push(`${key}: path parameter ${name} not described`);
          }
        }
        if (description.body && !operation.requestBody) problems.push(`${key}: body not described`);
        if (['PUT', 'PATCH'].includes(route.method) && !description.body)
          problems.push(`${key}: a ${route.method} without a body`);
        if (!operation.operationId) problems.push(`${key}: no operationId`);
      }

      expect(problems).toEqual([]);
    });

    it('states how each caller authenticates: API keys or the portal session, Microsoft’s Entra token on the webhook, nothing on the description and sign-in', () => {
      const security = (method: string, path: string) => operationOf(method, path)?.security;
      const keyOrSession = [{ apiKeyBearer: [] }, { apiKeyHeader: [] }, { portalSession: [] }];

      expect(security('GET', '/v1/catalog')).toEqual(keyOrSession);
      expect(security('GET', '/health')).toEqual(keyOrSession);
      // The UsageIngest function takes keys only (apiKeyAuth).
      expect(security('POST', '/v1/usage')).toEqual([{ apiKeyBearer: [] }, { apiKeyHeader: [] }]);
      expect(security('POST', '/webhook')).toEqual([{ marketplaceEntraToken: [] }]);
      expect(security('GET', '/landing')).toEqual([]);
      expect(security('GET', '/openapi.json')).toEqual([]);
      expect(security('GET', '/docs/api')).toEqual([]);
      expect(security('GET', '/portal')).toEqual([{ portalSession: [] }]);
      expect(security('POST', '/auth/sign-out')).toEqual([{ portalSession: [] }]);
      expect(security('GET', '/auth/sign-in')).toEqual([]);
      expect(security('GET', '/auth/callback')).toEqual([]);
      expect(document.components?.securitySchemes).toMatchObject({
        apiKeyBearer: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        portalSession: { type: 'apiKey', in: 'cookie', name: 'mm_session' },
        marketplaceEntraToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      });
    });

    it('offers the session on every non-public route of the Api function, with the CSRF header and 403 on changes', () => {
      const problems: string[] = [];
      for (const route of servedRoutes().filter((served) => served.functionId === 'Api' && !served.public)) {
        const operation = operationOf(route.method, route.path);
        const key = routeKey(route);
        if (!operation?.security?.some((requirement) => 'portalSession' in requirement))
          problems.push(`${key}: no session`);
        const csrf = ((operation?.parameters ?? []) as { name: string; in: string; required?: boolean }[]).find(
          (parameter) => parameter.in === 'header' && parameter.name === 'x-csrf-token',
        );
        const changes = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method);
        if (changes && (!csrf || csrf.required)) problems.push(`${key}: no optional X-CSRF-Token header`);
        if (!changes && csrf) problems.push(`${key}: a CSRF header on a read`);
        if (changes && !(operation?.responses as Record<string, unknown> | undefined)?.['403'])
          problems.push(`${key}: no 403`);
      }

      expect(problems).toEqual([]);
      expect(servedRoutes().filter((route) => route.session).length).toBeGreaterThan(30);
    });

    it('answers GET /v1/me with the key’s principal or the signed-in user', () => {
      const schema = OPERATIONS['GET /v1/me']?.answers[200]?.schema;

      expect(schema?.safeParse({ role: 'publisher', keyId: 'p0Ub1isherKey000' }).success).toBe(true);
      expect(
        schema?.safeParse({
          role: 'customer',
          tenantId: 'f0e1d2c3-0000-4000-8000-00000000000a',
          user: { tenantId: 'f0e1d2c3-0000-4000-8000-00000000000a', objectId: 'oid-1', name: 'Aiko' },
        }).success,
      ).toBe(true);
      expect(schema?.safeParse({ role: 'customer' }).success).toBe(false);
    });

    it('describes the portal’s pages and sign-in steps with their redirects and HTML answers', () => {
      const statuses = (method: string, path: string) =>
        Object.keys((operationOf(method, path)?.responses ?? {}) as object);

      expect(statuses('GET', '/portal')).toEqual(['200', '302', '500']);
      expect(statuses('GET', '/portal/{proxy+}')).toEqual(['200', '302', '404', '500']);
      expect(statuses('GET', '/auth/sign-in')).toEqual(['302', '400', '500']);
      expect(statuses('GET', '/auth/callback')).toEqual(['302', '401', '500']);
      expect(statuses('POST', '/auth/sign-out')).toEqual(['200', '400', '403', '500']);
      expect(operationOf('GET', '/portal')?.responses?.['200']).toMatchObject({ content: { 'text/html': {} } });
    });

    it('describes the Idempotency-Key header of POST /v1/usage with the schema the function parses', () => {
      const parameters = operationOf('POST', '/v1/usage')?.parameters as { name: string; in: string; schema: object }[];

      expect(parameters).toContainEqual(
        expect.objectContaining({
          in: 'header',
          name: 'idempotency-key',
          schema: expect.objectContaining({ maxLength: 255, pattern: '^[\\x21-\\x7e]+$' }),
        }),
      );
      expect(Object.keys(operationOf('POST', '/v1/usage')?.responses ?? {})).toEqual(
        expect.arrayContaining(['202', '409', '413', '422']),
      );
    });

    it('answers errors with the error body of shared/http/errors.ts', () => {
      expect(document.components?.responses?.Error404).toMatchObject({
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      });
      expect(document.components?.schemas?.Error).toMatchObject({
        required: ['error'],
        properties: { error: { required: ['code', 'message'] } },
      });
    });
  });

  describe('examples', () => {
    it('parse with the zod schemas the functions use and the answer schemas', () => {
      const failures: string[] = [];
      const check = (
        where: string,
        schema: { safeParse(value: unknown): { success: boolean; error?: unknown } },
        value: unknown,
      ) => {
        const result = schema.safeParse(value);
        if (!result.success) failures.push(`${where}: ${String(result.error)}`);
      };
      let examples = 0;
      for (const [key, description] of Object.entries(OPERATIONS)) {
        if (description.body) {
          const { schema, example, contentType } = description.body;
          const value =
            contentType === 'application/x-www-form-urlencoded'
              ? Object.fromEntries(new URLSearchParams(String(example)))
              : example;
          check(`${key} body`, schema, value);
          examples++;
        }
        for (const [status, answer] of Object.entries(description.answers)) {
          if (answer.schema && answer.example !== undefined) {
            check(`${key} ${status}`, answer.schema, answer.example);
            examples++;
          }
        }
      }
      for (const status of [400, 401, 403, 404, 409, 413, 422, 500, 503])
        check(`error ${status}`, errorBody, errorExample(status));

      expect(failures).toEqual([]);
      expect(examples).toBeGreaterThan(40);
    });

    it('of the webhook is a payload the webhook function accepts', () => {
      const example = OPERATIONS['POST /webhook']?.body?.example;

      expect(webhookSchema.safeParse(example).success).toBe(true);
    });

    it('validate against the generated JSON Schemas (2020-12)', () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats.default(ajv);
      ajv.addSchema({ $id: 'openapi.json', components: document.components }, 'openapi.json');
      const failures: string[] = [];
      let examples = 0;
      const check = (where: string, media: { schema?: object; example?: unknown } | undefined) => {
        if (!media?.schema || media.example === undefined) return;
        examples++;
        // References point into the document's components: resolve them against it.
        const schema = JSON.parse(
          JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi.json#/components/'),
        );
        const valid = ajv.validate(schema, media.example);
        if (!valid) failures.push(`${where}: ${ajv.errorsText(ajv.errors)}`);
      };
      const everyResponse = (responses: Record<string, unknown>, where: string) => {
        for (const [status, response] of Object.entries(responses)) {
          const content = (response as { content?: Record<string, { schema?: object; example?: unknown }> }).content;
          for (const [type, media] of Object.entries(content ?? {})) check(`${where} ${status} ${type}`, media);
        }
      };
      for (const [path, item] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
          const where = `${method.toUpperCase()} ${path}`;
          const body = operation.requestBody as { content?: Record<string, { schema?: object; example?: unknown }> };
          for (const [type, media] of Object.entries(body?.content ?? {})) {
            if (type === 'application/json') check(`${where} body`, media);
          }
          everyResponse(operation.responses as Record<string, unknown>, where);
        }
      }
      everyResponse(document.components?.responses as Record<string, unknown>, 'components.responses');

      expect(failures).toEqual([]);
      expect(examples).toBeGreaterThan(40);
    });
  });
});
