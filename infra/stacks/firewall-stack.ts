import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { WebFirewall } from '#infra/constructs/web-firewall.ts';
import { type CustomDomainSettings, EDGE_REGION } from '#infra/deployment-settings.ts';

/** Output names the edge stack reads (`Fn::GetStackOutput`, across regions). */
export const FIREWALL_OUTPUTS = { webAclArn: 'WebAclArn', certificateArn: 'CertificateArn' } as const;

export interface FirewallStackProps extends StackProps {
  readonly domain: CustomDomainSettings;
  /** Names the web ACL, its metrics and its log group. */
  readonly namePrefix: string;
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
}
