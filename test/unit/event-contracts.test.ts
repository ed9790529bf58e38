import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiKeySchema } from '#functions/api/schema.ts';
import { contactRequestOf } from '#functions/contact-pages/routes.ts';
import { webhookSchema } from '#functions/fulfillment-webhook/schema.ts';
import { tokenFromForm, tokenFromQuery } from '#functions/landing/schema.ts';
import { formField, portalLanguage } from '#functions/portal/schema.ts';
import { changePlanSchema } from '#functions/publisher-operations/schema.ts';
import { parseUsageMessage } from '#functions/usage-aggregator/schema.ts';
import { idempotencyKeySchema, usageRequestSchema } from '#functions/usage-ingest/schema.ts';
import { parseShardWork } from '#functions/usage-reporter/schema.ts';
import { matchHttpRoute, PUBLISHER_OPERATIONS_FUNCTION } from '#infra/functions.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { mapAvailablePlansToOffer } from '#shared/adapters/catalog/available-plans-mapper.ts';
import { deliveryEventsOfBody } from '#shared/adapters/delivery-events/delivery-event-records.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { resolvedSubscriptionSchema } from '#shared/adapters/marketplace/marketplace-schemas.ts';
import { validateCatalog } from '#shared/domain/catalog-rules.ts';
import { assertApplicableMessage } from '#shared/domain/usage/usage-message.ts';
import { cookieOf, originOf } from '#shared/http/session.ts';
import { subscriptionFromMarketplace } from '#shared/use-cases/fulfillment/marketplace-subscription.ts';
import type { MarketplaceSubscription } from '#shared/use-cases/ports/marketplace.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';

/**
 * Every sample payload in `events/` is a contract: it is parsed here by the code that receives it in production.
 * A sample in a folder with no parser fails the suite, so no sample can sit unchecked.
 */
const parsers: Record<string, (file: string) => void> = {
  apigateway: (file) => {
    const event = sampleEvent<APIGatewayProxyEventV2>(file);
    const match = matchHttpRoute(event.requestContext.http.method, event.rawPath);
    // Our route table must pick the route API Gateway reports having picked.
    expect(match?.routeKey).toBe(event.routeKey);
    // API Gateway leaves `pathParameters` out for a route without parameters.
    expect(match?.pathParameters).toEqual(event.pathParameters ?? {});
    if (event.rawPath === '/v1/api-keys' && event.body) createApiKeySchema.parse(JSON.parse(event.body));
    if (event.rawPath === '/v1/usage' && event.body) {
      usageRequestSchema.parse(JSON.parse(event.body));
      idempotencyKeySchema.parse(event.headers['idempotency-key']);
    }
    if (event.rawPath === '/webhook') webhookSchema.parse(JSON.parse(event.body ?? ''));
    // A publisher operation goes to the function that calls Microsoft, with a body its schema accepts.
    if (event.rawPath.endsWith('/plan')) {
      expect(match?.route.functionId).toBe(PUBLISHER_OPERATIONS_FUNCTION.id);
      changePlanSchema.parse(JSON.parse(event.body ?? ''));
    }
    if (event.rawPath === '/landing') {
      // The token survives with its `+`, `/` and literal `%2B`: decoded once from the URL (or form), never twice.
      const token = event.requestContext.http.method === 'GET' ? tokenFromQuery(event) : tokenFromForm(event);
      expect(token).toBe('Ab3+Zx/9Qw%2BrT1+yU/oP7lK==');
    }
    // The sign-in callback: Entra's code and state in the query, our sign-in cookie in API Gateway's `cookies`.
    if (event.rawPath === '/auth/callback') {
      expect(event.queryStringParameters).toMatchObject({ code: expect.any(String), state: expect.any(String) });
      expect(cookieOf(event, 'mm_signin')).toMatch(/^eyJ/);
    }
    if (event.rawPath.startsWith('/portal')) {
      expect(cookieOf(event, 'mm_session')).toMatch(/^eyJ/);
      expect(portalLanguage(event)).toBe('ja');
    }
    // RFC 8058 one-click unsubscribe: the token in the List-Unsubscribe URL, the mail client's base64 form body.
    if (event.rawPath === '/contacts/unsubscribe') {
      expect(contactRequestOf(event)).toEqual({
        method: 'POST',
        purpose: 'unsubscribe',
        token: event.queryStringParameters?.token,
        oneClick: true,
      });
    }
    // The sign-out form: its CSRF token in a base64 form body, from our own origin.
    if (event.rawPath === '/auth/sign-out') {
      expect(formField(event, 'csrfToken')).toMatch(/^[\w-]{43}$/);
      expect(event.headers.origin).toBe(originOf(event));
    }
  },
  // Microsoft's webhook payloads (§2.2), with the doc's quirks: padded statuses, quantity as a string, unknown fields.
  // Unknown actions (`webhook-unknown-action`) and fields (`webhook-extra-fields`) are kept or ignored, never refused.
  marketplace: (file) => {
    expect(file, `no contract parser for events/${file}`).toMatch(/^marketplace\/webhook-/);
    const notification = webhookSchema.parse(sampleEvent(file));
    expect(notification.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(notification.status ?? 'InProgress').toMatch(/^(InProgress|Succeeded)$/);
    expect(notification.action).toMatch(/^[A-Z][A-Za-z]+$/);
  },
  // A Resolve answer with `termUnit: "PAY"` (seen in 2026, marketplace-2026.md) and an unknown `sandboxType`: parsed,
  // the unit kept raw, no rated term stored.
  'marketplace/resolve-pay-term.json': (file) => {
    const resolved = resolvedSubscriptionSchema.parse(sampleEvent(file));
    expect(resolved.subscription?.term?.termUnit).toBe('PAY');
    expect(resolved.subscription?.sandboxType).toBe('SomethingNew');
    const stored = subscriptionFromMarketplace(resolved.subscription as MarketplaceSubscription, new Date());
    expect(stored.term).toBeUndefined();
    expect(stored.unratedTermUnit).toBe('PAY');
  },
  sqs: (file) => {
    const event = sampleEvent<SQSEvent>(file);
    expect(event.Records.length).toBeGreaterThan(0);
    // Each queue's sample is parsed by its consumer: the usage reporter's shard messages, and usage messages the
    // aggregator can apply.
    for (const record of event.Records) {
      if (file === 'sqs/usage-report-shard.json') parseShardWork(record.body);
      else assertApplicableMessage(parseUsageMessage(record.body));
    }
  },
  // SES and End User Messaging SMS events, as the DeliveryEvents topic hands them to the contact-events queue (raw, or
  // in the SNS envelope): what each does to the contact's state.
  delivery: (file) => {
    const expected: Record<string, [string, string][]> = {
      'delivery/ses-bounce-permanent.json': [['email:no-such-user@fabrikam.example', 'bounced']],
      'delivery/ses-bounce-transient.json': [['email:full@fabrikam.example', 'ignored']],
      'delivery/ses-complaint.json': [['email:billing@fabrikam.example', 'complained']],
      'delivery/ses-delivery.json': [['email:billing@fabrikam.example', 'ignored']],
      'delivery/ses-notification-bounce-in-sns-envelope.json': [['email:gone@fabrikam.example', 'bounced']],
      'delivery/sms-text-invalid.json': [['sms:+819000000000', 'bounced']],
      'delivery/sms-text-delivered.json': [['sms:+819012345678', 'ignored']],
      'delivery/sms-text-unreachable.json': [['sms:+819012345678', 'ignored']],
      'delivery/sms-inbound-stop.json': [['sms:+819012345678', 'optedOut']],
      'delivery/sms-inbound-other.json': [['sms:+819012345678', 'ignored']],
    };
    expect(expected[file], `no expectation for events/${file}`).toBeDefined();
    const body = JSON.stringify(sampleEvent(file));
    const events = deliveryEventsOfBody(body, new Date('2026-11-10T00:00:00Z'));
    expect(events.map((e) => [`${e.contact.channel}:${e.contact.address}`, e.effect])).toEqual(expected[file]);
  },
  // What EventBridge Scheduler invokes each scheduled function with: the target input the stateless stack sets (the
  // schedule's id, and the scheduled time Scheduler puts in place of <aws.scheduler.scheduled-time>).
  scheduler: (file) => {
    const parsed = scheduledEventSchema.safeParse(sampleEvent(file));
    expect(parsed.success).toBe(true);
    expect(parsed.data?.schedule).toMatch(/^[A-Z][A-Za-z]+$/);
  },
  'marketplace/list-available-plans.json': (file) => {
    const offer = mapAvailablePlansToOffer('contoso-analytics', sampleEvent(file), {
      audience: { tenantId: 'f5d2a3c1-0000-4000-8000-000000000001' },
      longTermBillingFrequency: 'monthly',
    });
    expect(validateCatalog({ storeFeeRate: '0.03', offers: [offer] })).toEqual([]);
  },
};

function sampleFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sampleFiles(join(folder, entry.name))
      : entry.name.endsWith('.json')
        ? [join(folder, entry.name)]
        : [],
  );
}

describe('sample events', () => {
  const files = sampleFiles(join(REPO_ROOT, 'events')).map((file) => relative(join(REPO_ROOT, 'events'), file));

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s is parsed by the code that receives it', (file) => {
    const parser = parsers[file] ?? parsers[file.split('/')[0] ?? ''];
    expect(parser, `no contract parser for events/${file}`).toBeDefined();
    parser?.(file);
  });
});
