import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { FunctionDefinition } from '#infra/functions.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The CDK side of the contact lifecycle (docs/alerts.md "Contacts"): where the channels' delivery events arrive, and
 * what the functions that sign or check contact links, or check phone countries, are given.
 */

/** The AWS services that publish delivery events to the DeliveryEvents topic. */
export const DELIVERY_EVENT_PUBLISHERS = ['ses.amazonaws.com', 'sms-voice.amazonaws.com'] as const;

/**
 * Subscribes the contact-events queue to the DeliveryEvents topic (raw delivery: the queue message is the SES or SMS
 * event itself) and lets SES and End User Messaging SMS publish to the topic, for event destinations in this account
 * only (`aws:SourceAccount`, so another account's configuration set cannot write into our contact states).
 */
export function wireDeliveryEvents(topic: sns.Topic, queue: sqs.IQueue): void {
  topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DeliveryEventsFromSesAndSms',
      principals: DELIVERY_EVENT_PUBLISHERS.map((service) => new iam.ServicePrincipal(service)),
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(topic).account } },
    }),
  );
}

/**
 * Gives each function that declares `contactLinks` the public base URL links point at, and each that declares
 * `smsCountries` the allowed countries.
 * @param publicBaseUrl the API's URL (its custom domain when one is set up).
 */
export function bindContactLifecycle(
  functions: readonly { readonly definition: FunctionDefinition; readonly fn: lambda.Function }[],
  options: {
    readonly publicBaseUrl: string;
    readonly smsCountries: readonly string[];
  },
): void {
  for (const { definition, fn } of functions) {
    // The link key is derived from the table's session key item, which the function declares in its table access.
    if (definition.uses.contactLinks) fn.addEnvironment(ENV.contactLinksBaseUrl, options.publicBaseUrl);
    if (definition.uses.smsCountries) fn.addEnvironment(ENV.smsAllowedCountries, options.smsCountries.join(','));
  }
}
