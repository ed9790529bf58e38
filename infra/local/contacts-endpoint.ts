import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * The local mode's stand-in for what SES and End User Messaging SMS report about a contact, on the local HTTP API
 * only (not one of `HTTP_ROUTES`, so API Gateway never has it), behind the bootstrap publisher key:
 * `POST /_local/delivery-events` with an SES or SMS event as the body (e.g. `events/delivery/ses-bounce-permanent.json`
 * with your address): published to the DeliveryEvents topic, where the ContactEvents function picks it up as in AWS
 * (the local channels emit no events of their own). The confirmation messages themselves are in the local SES
 * stand-in's mail viewer and the SMS stand-in's `/messages`, as the alerts are.
 */
export const LOCAL_DELIVERY_EVENTS_PATH = '/_local/delivery-events';

/** An SES or SMS event is a few KB. */
const MAX_BODY_BYTES = 64 * 1024;

export function localContactsEndpoint(deps: {
  readonly sns: SNSClient;
  readonly deliveryEventsTopicArn: string;
  readonly bootstrapToken: string;
}) {
  const expected = Buffer.from(`Bearer ${deps.bootstrapToken}`);
  const authorized = (request: IncomingMessage) => {
    const presented = Buffer.from(request.headers.authorization?.trim() ?? '');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== LOCAL_DELIVERY_EVENTS_PATH) return false;
    const body = await readBody(request);
    if (!authorized(request)) {
      reply(response, 401, {
        message: 'Send the bootstrap publisher key: Authorization: Bearer $(cat .local/bootstrap-key)',
      });
      return true;
    }
    if (request.method === 'POST') {
      if (body === undefined || !isJsonObject(body)) {
        reply(response, 400, { message: 'Send one SES or SMS event as a JSON object (see events/delivery/).' });
        return true;
      }
      const published = await deps.sns.send(
        new PublishCommand({ TopicArn: deps.deliveryEventsTopicArn, Message: body }),
      );
      reply(response, 202, { messageId: published.MessageId });
      return true;
    }
    reply(response, 405, {
      message: `${request.method} is not allowed here: POST ${LOCAL_DELIVERY_EVENTS_PATH}.`,
    });
    return true;
  };
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
