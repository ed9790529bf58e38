import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { matchHttpRoute } from '#infra/functions.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';

/** A sample event from `events/`, parsed as-is. */
export function sampleEvent<T = APIGatewayProxyEventV2>(relativePath: string): T {
  return JSON.parse(readFileSync(`${REPO_ROOT}/events/${relativePath}`, 'utf8')) as T;
}

/**
 * An API Gateway HTTP API v2 event for a request, built from the real-shaped sample in `events/apigateway` with
 * the route key and path parameters API Gateway would set.
 */
export function httpEvent(
  method: string,
  path: string,
  options: { apiKey?: string; body?: unknown; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const base = sampleEvent('apigateway/get-catalog.json');
  const [rawPath = path, rawQuery = ''] = path.split('?');
  const match = matchHttpRoute(method, rawPath);
  const headers: Record<string, string> = { host: base.headers.host ?? 'localhost', ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return {
    ...base,
    routeKey: match?.routeKey ?? `${method} ${rawPath}`,
    rawPath,
    rawQueryString: rawQuery,
    queryStringParameters: rawQuery ? Object.fromEntries(new URLSearchParams(rawQuery)) : undefined,
    headers,
    pathParameters: match?.pathParameters,
    requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method, path: rawPath } },
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/** The body of a structured result, parsed. */
export function bodyOf(result: unknown): Record<string, unknown> {
  const structured = result as APIGatewayProxyStructuredResultV2;
  return structured.body ? (JSON.parse(structured.body) as Record<string, unknown>) : {};
}
