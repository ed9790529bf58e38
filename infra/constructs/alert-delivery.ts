import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as smsvoice from 'aws-cdk-lib/aws-smsvoice';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentSettings } from '#infra/deployment-settings.ts';
import type { SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { ENV } from '#shared/env-names.ts';

/** What the stateless stack needs to let the notifier send (addresses and the resources its grants name). */
export interface AlertChannels {
  readonly email?: {
    readonly from: string;
    readonly identityArn: string;
    readonly configurationSetName: string;
    readonly configurationSetArn: string;
  };
  readonly sms?: {
    readonly originationIdentityArn: string;
    readonly configurationSetName: string;
    readonly configurationSetArn: string;
    readonly countries: readonly SmsCountry[];
  };
}

export interface AlertDeliveryProps {
  readonly alertsTopic: sns.ITopic;
  /** The notifications queue (`NOTIFICATIONS_QUEUE`), subscribed to the alerts topic here. */
  readonly notificationsQueue: sqs.IQueue;
  /** Where the channels' configuration sets publish their events (`DELIVERY_EVENTS_TOPIC`, read by ContactEvents). */
  readonly deliveryEventsTopic: sns.ITopic;
  readonly operationsTopic: sns.ITopic;
  readonly settings: Pick<
    DeploymentSettings,
    'alertEmailDomain' | 'alertEmailFrom' | 'smsOriginationIdentityArn' | 'smsCountries' | 'smsSpendAlarmUsd'
  >;
}

/** SES events a configuration set reports: what changes a contact's state, and what proves delivery. */
const EMAIL_EVENTS = [
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.REJECT,
];
/** End User Messaging events: delivered, and every way an SMS can fail for good. */
const SMS_EVENTS = [
  'TEXT_DELIVERED',
  'TEXT_INVALID',
  'TEXT_INVALID_MESSAGE',
  'TEXT_UNREACHABLE',
  'TEXT_CARRIER_UNREACHABLE',
  'TEXT_BLOCKED',
  'TEXT_CARRIER_BLOCKED',
  'TEXT_SPAM',
  'TEXT_UNKNOWN',
  'TEXT_TTL_EXPIRED',
  'TEXT_PROTECT_BLOCKED',
];

/**
 * The outbound half of alert delivery (docs/alerts.md "Delivery"), in the stateful stack:
 * - the notifications queue subscribed to the alerts topic (raw delivery: the queue message is the alert's JSON);
 * - e-mail, when `alertEmailDomain` is set: the SES domain identity with Easy DKIM, and a configuration set (reputation
 *   metrics on, the account's suppression list for bounces and complaints) whose bounces, complaints, deliveries and
 *   rejects go to the DeliveryEvents topic; alarms on the account's bounce and complaint rates;
 * - SMS, when `smsOriginationIdentityArn` is set: an End User Messaging configuration set whose delivery events go to
 *   the same topic, and an alarm on the month's SMS spend.
 * Identities live here, with the data, because recreating one means new DKIM records or a new registration.
 */
export class AlertDelivery extends Construct implements AlertChannels {
  readonly email?: AlertChannels['email'];
  readonly sms?: AlertChannels['sms'];

  constructor(scope: Construct, id: string, props: AlertDeliveryProps) {
    super(scope, id);
    const { settings } = props;
    props.alertsTopic.addSubscription(
      new subscriptions.SqsSubscription(props.notificationsQueue, { rawMessageDelivery: true }),
    );
    const alarmAction = new cloudwatchActions.SnsAction(props.operationsTopic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) =>
      new cloudwatch.Alarm(this, alarmId, alarmProps).addAlarmAction(alarmAction);

    if (settings.alertEmailDomain) {
      const configurationSet = new ses.ConfigurationSet(this, 'EmailConfigurationSet', {
        reputationMetrics: true,
        suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        sendingEnabled: true,
      });
      configurationSet.addEventDestination('DeliveryEvents', {
        destination: ses.EventDestination.snsTopic(props.deliveryEventsTopic),
        events: EMAIL_EVENTS,
      });
      const identity = new ses.EmailIdentity(this, 'EmailIdentity', {
        identity: ses.Identity.domain(settings.alertEmailDomain),
        configurationSet,
        // Easy DKIM (2048-bit keys SES rotates): three CNAME records in the domain's DNS, listed by the outputs.
        dkimSigning: true,
      });
      this.email = {
        from: settings.alertEmailFrom ?? `Alerts <alerts@${settings.alertEmailDomain}>`,
        identityArn: identity.emailIdentityArn,
        configurationSetName: configurationSet.configurationSetName,
        configurationSetArn: Stack.of(this).formatArn({
          service: 'ses',
          resource: 'configuration-set',
          resourceName: configurationSet.configurationSetName,
        }),
      };
      [
        [identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1],
        [identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2],
        [identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3],
      ].forEach(([name, value], index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, {
          value: `${name} CNAME ${value}`,
          description: `DKIM record ${index + 1} of 3 to publish in the DNS of ${settings.alertEmailDomain}`,
        });
      });
      // SES reviews an account at a 5% bounce rate and may pause it at 10%; at 0.1% complaints it reviews, at 0.5%
      // it may pause. Alarming at the review levels leaves time to act before sending stops.
      const reputation = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SES',
          metricName,
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.hours(1),
        });
      alarm('AlertEmailBounceRateAlarm', {
        alarmDescription:
          'The SES bounce rate of the account is at 5% or more (SES reviews the account there and may pause sending ' +
          'at 10%). Runbook: docs/operate.md.',
        metric: reputation('Reputation.BounceRate'),
        threshold: 0.05,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm('AlertEmailComplaintRateAlarm', {
        alarmDescription:
          'The SES complaint rate of the account is at 0.1% or more (SES reviews the account there and may pause ' +
          'sending at 0.5%). Runbook: docs/operate.md.',
        metric: reputation('Reputation.ComplaintRate'),
        threshold: 0.001,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    if (settings.smsOriginationIdentityArn) {
      const configurationSet = new smsvoice.CfnConfigurationSet(this, 'SmsConfigurationSet', {
        eventDestinations: [
          {
            eventDestinationName: 'DeliveryEvents',
            enabled: true,
            matchingEventTypes: SMS_EVENTS,
            snsDestination: { topicArn: props.deliveryEventsTopic.topicArn },
          },
        ],
      });
      this.sms = {
        originationIdentityArn: settings.smsOriginationIdentityArn,
        configurationSetName: configurationSet.ref,
        configurationSetArn: configurationSet.attrArn,
        countries: settings.smsCountries,
      };
      alarm('AlertSmsSpendAlarm', {
        alarmDescription:
          `The month's SMS spend has reached USD ${settings.smsSpendAlarmUsd} (context smsSpendAlarmUsd). ` +
          'Runbook: docs/operate.md.',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/SMSVoice',
          metricName: 'TextMessageMonthlySpend',
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.hours(1),
        }),
        threshold: settings.smsSpendAlarmUsd,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }
}

/**
 * Lets a function send alerts: the sender settings as environment variables and exactly the grants they need —
 * `ses:SendEmail` on the domain identity and the configuration set, `sms-voice:SendTextMessage` on the origination
 * identity and the configuration set. The unsubscribe links' key and base URL come with `uses.contactLinks`
 * (infra/constructs/contact-events.ts `bindContactLifecycle`).
 */
export function bindAlertChannels(fn: lambda.Function, channels: AlertChannels): void {
  if (channels.email) {
    fn.addEnvironment(ENV.alertEmailFrom, channels.email.from);
    fn.addEnvironment(ENV.sesConfigurationSet, channels.email.configurationSetName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [channels.email.identityArn, channels.email.configurationSetArn],
      }),
    );
  }
  if (channels.sms) {
    fn.addEnvironment(ENV.smsOriginationIdentity, channels.sms.originationIdentityArn);
    fn.addEnvironment(ENV.smsConfigurationSet, channels.sms.configurationSetName);
    fn.addEnvironment(ENV.smsAllowedCountries, channels.sms.countries.join(','));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sms-voice:SendTextMessage'],
        resources: [channels.sms.originationIdentityArn, channels.sms.configurationSetArn],
      }),
    );
  }
}
