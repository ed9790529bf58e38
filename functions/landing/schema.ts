import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { parseWith } from '#shared/http/request.ts';

/**
 * Landing-page tokens are opaque base64 blobs of a few hundred bytes (§1.2 Resolve); anything far larger is not one,
 * and is refused before it reaches Microsoft.
 */
const MAX_TOKEN_LENGTH = 8_192;
/** The form holds the token and nothing else of size. */
const MAX_FORM_BYTES = 16_384;

/** The purchase token, in the query string or the form; also what the OpenAPI description shows (infra/openapi). */
export const tokenSchema = z.string().trim().max(MAX_TOKEN_LENGTH).optional();

/**
 * `GET /landing?token=…`: the token as API Gateway decoded it from the query string, which is the one URL-decoding
 * Microsoft asks for (§1.1 `x-ms-marketplace-token`, §6.2 "Decode once only; `+` and `/` survive"). It is never
 * decoded again: a token holding `%2B` must reach Resolve with `%2B` in it.
 * @throws ValidationError when it is absurdly long (the page then says the link is not valid).
 */
export function tokenFromQuery(event: APIGatewayProxyEventV2): string | undefined {
  return parseWith(tokenSchema, event.queryStringParameters?.token, 'query.token') || undefined;
}

/**
 * `POST /landing` (the Activate form): the hidden `token` field of an `application/x-www-form-urlencoded` body. The
 * form encoding is undone once (the browser encoded the token's `+` and `/` as `%2B` and `%2F`), which gives back
 * exactly the token the page was rendered with. API Gateway HTTP APIs may hand form bodies over base64-encoded.
 * @throws ValidationError when the body is larger than a form with a token can be.
 */
export function tokenFromForm(event: APIGatewayProxyEventV2): string | undefined {
  return parseWith(tokenSchema, landingForm(event).get('token') ?? undefined, 'body.token') || undefined;
}

/** The hidden `csrfToken` field of the Activate form (checked against the session's, `requireCsrf`). */
export function csrfTokenFromForm(event: APIGatewayProxyEventV2): string | undefined {
  return landingForm(event).get('csrfToken') ?? undefined;
}

function landingForm(event: APIGatewayProxyEventV2): URLSearchParams {
  const body = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const size = z.string().max(MAX_FORM_BYTES, { message: 'the form is too large' });
  parseWith(size, text, 'body');
  return new URLSearchParams(text);
}
