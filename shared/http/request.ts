import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { PayloadTooLargeError, ValidationError } from '#shared/domain/errors.ts';
import { describeIssues, issueField } from '#shared/zod-issues.ts';

/**
 * Reads and validates a JSON request body against a strict zod schema (our own API: unknown fields are errors,
 * so a typo in a field name is reported instead of silently ignored).
 * @param options.maxBytes refuse bodies larger than this many bytes (UTF-8) before parsing them.
 * @throws ValidationError naming the first offending field, for a missing, non-JSON or invalid body.
 * @throws PayloadTooLargeError when the body exceeds `options.maxBytes`.
 */
export function parseJsonBody<T extends z.ZodType>(
  event: APIGatewayProxyEventV2,
  schema: T,
  options: { readonly maxBytes?: number } = {},
): z.infer<T> {
  if (!event.body) throw new ValidationError('Request body is missing: send a JSON object.');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (options.maxBytes !== undefined) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > options.maxBytes) {
      throw new PayloadTooLargeError(
        `Request body is ${bytes} bytes; at most ${options.maxBytes} are accepted: split it into smaller requests.`,
        'body',
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('Request body is not valid JSON.', undefined, { cause: error });
  }
  return parseWith(schema, value, 'body');
}

/** Validates any input (query string, path parameters, body) and turns zod issues into one readable error. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw new ValidationError(
    `Invalid request: ${describeIssues(result.error, where)}`,
    first ? issueField(first, where) : where,
  );
}

/** The API key presented as `Authorization: Bearer <key>` or `x-api-key: <key>` (headers are lower-cased by API Gateway v2). */
export function presentedApiKey(event: APIGatewayProxyEventV2): string | undefined {
  const authorization = event.headers?.authorization;
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  return event.headers?.['x-api-key']?.trim() || undefined;
}
