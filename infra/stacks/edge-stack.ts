import {
  CfnDynamicReference,
  CfnDynamicReferenceService,
  CfnOutput,
  Duration,
  Fn,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { originVerifyParameterName } from '#infra/constructs/origin-verify.ts';
import { type CustomDomainSettings, EDGE_REGION } from '#infra/deployment-settings.ts';
import { FIREWALL_OUTPUTS } from '#infra/stacks/firewall-stack.ts';
import { ORIGIN_VERIFY_HEADER } from '#shared/http/origin-guard.ts';

/** The stateless stack's output holding the API's execute-api host name: the distribution's origin. */
export const API_DOMAIN_OUTPUT = 'ApiDomain';

export interface EdgeStackProps extends StackProps {
  readonly domain: CustomDomainSettings;
  /** The firewall stack's name (in us-east-1): the web ACL and, when requested there, the certificate. */
  readonly firewallStackName: string;
  /** The stateless stack's name (same region as this one): the API behind the distribution. */
  readonly statelessStackName: string;
}

/**
 * The API's public address: a CloudFront distribution at the custom domain, behind the firewall's web ACL, with the
 * HTTP API as its origin, and the domain's alias records when the hosted zone is given.
 *
 * A stack of its own, apart from the stateless one, so that the host name Partner Center holds outlives the API: the
 * stateless stack can be deleted and recreated (a new execute-api host) and only this distribution's origin changes
 * (`cdk deploy <prefix>Edge --force`). It reads that origin, and the firewall's outputs in us-east-1, with
 * `Fn::GetStackOutput`: a weak reference, so neither the stateless stack nor the firewall is pinned by an export.
 */
export class EdgeStack extends Stack {
  readonly distribution: cloudfront.Distribution;
  /** `https://<domainName>/`, what Partner Center and users are given. */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { domain } = props;
    const apiDomain = Fn.getStackOutput(props.statelessStackName, API_DOMAIN_OUTPUT);
    const webAclArn = Fn.getStackOutput(props.firewallStackName, FIREWALL_OUTPUTS.webAclArn, EDGE_REGION);
    const certificateArn =
      domain.certificateArn ?? Fn.getStackOutput(props.firewallStackName, FIREWALL_OUTPUTS.certificateArn, EDGE_REGION);

    const origin = new origins.HttpOrigin(apiDomain, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // API Gateway ends an integration at 30 s; waiting as long keeps a slow answer from becoming CloudFront's 504.
      readTimeout: Duration.seconds(30),
      // The proof that a request came through here (and the web ACL): every HTTP function refuses a request without
      // it (shared/http/origin-guard.ts), so knowing the execute-api host name is not a way around the firewall.
      // CloudFront overwrites a viewer's own header of that name. Read from the stateless stack's SSM parameter by
      // a dynamic reference: resolved at deploy, never written into a template or an output.
      customHeaders: {
        [ORIGIN_VERIFY_HEADER]: new CfnDynamicReference(
          CfnDynamicReferenceService.SSM,
          originVerifyParameterName(props.statelessStackName),
        ).toString(),
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Marketplace API at ${domain.domainName}`,
      domainNames: [domain.domainName],
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Buyers and Microsoft call from anywhere; the price class changes the per-request price, not a fixed fee.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      webAclId: webAclArn,
      defaultBehavior: {
        origin,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Nothing the functions answer may be shared between callers: API answers, pages with a CSRF token, redirects
        // carrying cookies. With caching off, the all-viewer origin request policy forwards every header (the
        // `Authorization` of API keys and Microsoft's tokens, `Idempotency-Key`, `Origin` and `Referer` for the CSRF
        // check), the cookies and the query string; only `Host` is left out, as API Gateway answers its own host
        // name only.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        // Plain http is refused (403) rather than redirected: clients replay a redirected POST as a GET, and the
        // credential it carried has crossed the network in clear already.
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        compress: false,
      },
      additionalBehaviors: {
        // The portal's script and stylesheet have content-hashed names and are served as immutable for a year
        // (functions/portal/assets.ts): cached at the edge, without cookies or query strings in the key.
        '/portal/assets/*': {
          origin,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          compress: true,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'No geographic restriction: marketplace buyers and Microsoft call from any country the offer is sold in, ' +
          'and Partner Center, not this distribution, decides where the offer is available.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          "CloudFront's standard logs would repeat the API's access log (every request that reaches the origin, " +
          'one JSON line each) while needing an S3 bucket with ACLs; the requests the firewall blocks are logged by ' +
          'the web ACL to its own log group.',
      },
    );
    this.publicUrl = `https://${domain.domainName}/`;

    if (domain.hostedZone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: domain.hostedZone.id,
        zoneName: domain.hostedZone.name,
      });
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      new route53.ARecord(this, 'AliasIpv4', { zone, recordName: domain.domainName, target });
      new route53.AaaaRecord(this, 'AliasIpv6', { zone, recordName: domain.domainName, target });
    }

    new CfnOutput(this, 'PublicUrl', {
      value: this.publicUrl,
      description: 'Base URL of the API at the custom domain',
    });
    new CfnOutput(this, 'LandingPageUrl', {
      value: `${this.publicUrl}landing`,
      description: 'Partner Center > offer > Technical configuration > Landing page URL',
    });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.publicUrl}webhook`,
      description: 'Partner Center > offer > Technical configuration > Connection webhook',
    });
    new CfnOutput(this, 'SignInRedirectUri', {
      value: `${this.publicUrl}auth/callback`,
      description: 'Redirect URI (Web) to register on the sign-in app registration in Entra',
    });
    new CfnOutput(this, 'DistributionDomainName', {
      value: this.distribution.distributionDomainName,
      description: domain.hostedZone
        ? 'The alias records of the domain point here'
        : `Point ${domain.domainName} here (CNAME) in your DNS`,
    });
  }
}
