import type { App, Stack } from 'aws-cdk-lib';
import type { CustomDomainSettings } from '#infra/deployment-settings.ts';
import { EdgeStack } from '#infra/stacks/edge-stack.ts';
import { FirewallStack } from '#infra/stacks/firewall-stack.ts';

/**
 * The custom domain's two stacks: `<prefix>Firewall` in us-east-1 (web ACL, certificate) and `<prefix>Edge` in the
 * main region (the distribution and its DNS records), deployed after the stateless stack whose API it serves. The
 * edge stack reads both by stack output (weak references), so the order is stated here.
 */
export function addEdgeStacks(
  app: App,
  prefix: string,
  domain: CustomDomainSettings,
  stateless: Stack,
  options: { readonly onCallEmail?: string } = {},
): { firewall: FirewallStack; edge: EdgeStack } {
  const firewall = new FirewallStack(app, `${prefix}Firewall`, {
    description: `Marketplace metering: AWS WAF web ACL${domain.certificateArn ? '' : ' and certificate'} of ${domain.domainName} (us-east-1)`,
    domain,
    namePrefix: prefix,
    ...(options.onCallEmail === undefined ? {} : { onCallEmail: options.onCallEmail }),
  });
  const edge = new EdgeStack(app, `${prefix}Edge`, {
    description: `Marketplace metering: CloudFront distribution of ${domain.domainName}`,
    domain,
    firewallStackName: firewall.stackName,
    statelessStackName: stateless.stackName,
  });
  edge.addStackDependency(firewall, 'reads the web ACL and certificate outputs');
  edge.addStackDependency(stateless, 'reads the API domain output');
  return { firewall, edge };
}
