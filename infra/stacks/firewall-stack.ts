import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { WebFirewall } from '#infra/constructs/web-firewall.ts';
import { type CustomDomainSettings, EDGE_REGION } from '#infra/deployment-settings.ts';

/** Output names the edge stack reads (`Fn::GetStackOutput`, across regions). */
export const FIREWALL_OUTPUTS = { webAclArn: 'WebAclArn', certificateArn: 'CertificateArn' } as const;

/**
 * Requests the web ACL blocked in 5 minutes above which `FirewallBlockedRequestsAlarm` counts a period as a spike:
 * ten times what the tightest rate rule lets one address do (100 to sign-in and the landing page), so a few
 * scanners stay below it and a flood, or a rule that started refusing real callers, does not.
 */
export const BLOCKED_REQUESTS_ALARM_PER_5_MINUTES = 1_000;

export interface FirewallStackProps extends StackProps {
  readonly domain: CustomDomainSettings;
  /** Names the web ACL, its metrics and its log group. */
  readonly namePrefix: string;
  /** The on-call address (context `onCallEmail`), subscribed to this region's alarm topic. */
  readonly onCallEmail?: string;
}

/**
 * What CloudFront reads only from us-east-1: the AWS WAF web ACL (scope CLOUDFRONT) and, when the deployment does
 * not bring its own, the certificate of the custom domain, DNS-validated in the hosted zone. Always deployed to
 * us-east-1, whatever the region of the other stacks; it holds no data and its outputs never change once created,
 * so the edge stack in the main region reads them as plain stack outputs.
 */
export class FirewallStack extends Stack {
  readonly firewall: WebFirewall;

  constructor(scope: Construct, id: string, props: FirewallStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: EDGE_REGION } });
    this.firewall = new WebFirewall(this, 'Firewall', { namePrefix: props.namePrefix });
    new CfnOutput(this, FIREWALL_OUTPUTS.webAclArn, {
      value: this.firewall.webAcl.attrArn,
      description: 'The web ACL of the API distribution',
    });

    this.addBlockedRequestsAlarm(props.onCallEmail);

    const { domain } = props;
    if (domain.certificateArn === undefined) {
      // readDeploymentSettings guarantees a hosted zone when no certificate is given.
      const zone = domain.hostedZone;
      if (!zone) throw new Error('A custom domain without certificateArn needs hostedZoneId and hostedZoneName');
      const certificate = new acm.Certificate(this, 'Certificate', {
        domainName: domain.domainName,
        validation: acm.CertificateValidation.fromDns(
          route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: zone.id, zoneName: zone.name }),
        ),
      });
      new CfnOutput(this, FIREWALL_OUTPUTS.certificateArn, {
        value: certificate.certificateArn,
        description: `The certificate of ${domain.domainName} (ACM renews it as long as the validation record stays)`,
      });
    }
  }

  /**
   * A spike of blocked requests: a flood the firewall is holding off, or a rule refusing real callers (Microsoft, a
   * buyer). WAF publishes a CloudFront web ACL's metrics in us-east-1 only, and an alarm notifies topics of its own
   * region, so this stack has its own topic (the operations topic lives in the main region), with the on-call
   * address subscribed like the operations topic. One alarm: USD 0.10 a month, only with a custom domain.
   */
  private addBlockedRequestsAlarm(onCallEmail: string | undefined): void {
    const topic = new sns.Topic(this, 'FirewallAlarms', {
      enforceSSL: true,
      // No `masterKey`, as for the operations topic: CloudWatch could not publish to a topic under the AWS-managed
      // key, and the messages carry alarm names, not secrets.
    });
    if (onCallEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(onCallEmail));
    const alarm = new cloudwatch.Alarm(this, 'FirewallBlockedRequestsAlarm', {
      alarmDescription:
        `The web ACL blocked more than ${BLOCKED_REQUESTS_ALARM_PER_5_MINUTES.toLocaleString('en-US')} requests in 5 minutes, twice in 15 ` +
        'minutes: a flood, or a rule refusing Microsoft or buyers. Runbook: docs/operate.md.',
      metric: this.firewall.blockedRequests(Duration.minutes(5)),
      threshold: BLOCKED_REQUESTS_ALARM_PER_5_MINUTES,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      // WAF publishes BlockedRequests only when it blocks something: no data is the quiet state.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    new CfnOutput(this, 'FirewallAlarmsTopicArn', {
      value: topic.topicArn,
      description: 'The firewall alarm notifies this topic (us-east-1): subscribe the on-call or a chat integration',
    });
  }
}
