import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMON_RULE_SET_BODY_SIZE_RULE } from '#infra/constructs/web-firewall.ts';
import {
  type DeploymentSettings,
  DeploymentSettingsError,
  EDGE_REGION,
  readDeploymentSettings,
} from '#infra/deployment-settings.ts';
import { addEdgeStacks } from '#infra/edge-stacks.ts';
import { HTTP_ROUTES } from '#infra/functions.ts';
import { FIREWALL_RATE_RULES, MAX_BODY_BYTES, ROUTE_THROTTLES } from '#infra/route-limits.ts';
import { API_DOMAIN_OUTPUT } from '#infra/stacks/edge-stack.ts';
import { BLOCKED_REQUESTS_ALARM_PER_5_MINUTES } from '#infra/stacks/firewall-stack.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { ENV } from '#shared/env-names.ts';
import { ORIGIN_VERIFY_HEADER } from '#shared/http/origin-guard.ts';
import { TEST_CATALOG, testApp } from '#test/infra/cdk-test-app.ts';

const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'contoso.com' };
const DOMAIN = 'marketplace.contoso.com';
const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:111122223333:certificate/0d6e3a4c-1111-2222-3333-444455556666';

function domainOf(settings: DeploymentSettings) {
  if (!settings.customDomain) throw new Error('No custom domain in these settings');
  return settings.customDomain;
}

function settingsWith(context: Record<string, unknown>): DeploymentSettings {
  return readDeploymentSettings(new App({ context }).node);
}

/** The app of infra/app.ts with the given context: both stacks, and the edge stacks when a domain is set. */
function appWith(context: Record<string, unknown>) {
  const app = testApp();
  for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
  const settings = readDeploymentSettings(app.node);
  const stateful = new StatefulStack(app, 'MarketplaceStateful', { settings });
  const stateless = new StatelessStack(app, 'MarketplaceStateless', { stateful, catalog: TEST_CATALOG, settings });
  const edge = settings.customDomain ? addEdgeStacks(app, 'Marketplace', settings.customDomain, stateless) : undefined;
  return { app, stateless, edge };
}

/** Functions of the stateless template by their service name (POWERTOOLS_SERVICE_NAME), with their environment. */
function functionEnvironments(template: Template): Map<string, Record<string, unknown>> {
  const environments = new Map<string, Record<string, unknown>>();
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    const service = variables.POWERTOOLS_SERVICE_NAME;
    if (typeof service === 'string') environments.set(service, variables);
  }
  return environments;
}

describe('custom domain settings', () => {
  it('are off by default: no domain, no edge stacks', () => {
    expect(settingsWith({}).customDomain).toBeUndefined();
  });

  it('take a domain with its hosted zone (the certificate then requested) or with a us-east-1 certificate', () => {
    expect(settingsWith({ domainName: 'Marketplace.Contoso.com', ...ZONE }).customDomain).toEqual({
      domainName: DOMAIN,
      hostedZone: { id: ZONE.hostedZoneId, name: ZONE.hostedZoneName },
      originGuard: 'enforce',
    });
    expect(settingsWith({ domainName: DOMAIN, certificateArn: CERTIFICATE_ARN }).customDomain).toEqual({
      domainName: DOMAIN,
      certificateArn: CERTIFICATE_ARN,
      originGuard: 'enforce',
    });
    expect(settingsWith({ domainName: DOMAIN, ...ZONE, originGuard: 'report' }).customDomain?.originGuard).toBe(
      'report',
    );
  });

  it.each([
    [{ domainName: DOMAIN }, 'needs a certificate'],
    [{ domainName: DOMAIN, certificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') }, 'in us-east-1'],
    [{ domainName: DOMAIN, hostedZoneId: ZONE.hostedZoneId }, '"hostedZoneId" and "hostedZoneName" go together'],
    [{ domainName: 'marketplace.fabrikam.com', ...ZONE }, 'is not in the hosted zone contoso.com'],
    [{ domainName: 'https://marketplace.contoso.com', ...ZONE }, 'must be a host name'],
    [{ certificateArn: CERTIFICATE_ARN }, 'without "domainName"'],
    [{ originGuard: 'report' }, 'originGuard given without "domainName"'],
    [{ domainName: DOMAIN, ...ZONE, originGuard: 'off' }, 'originGuard'],
  ])('refuse %j, saying what is wrong', (context, message) => {
    expect(() => settingsWith(context)).toThrow(DeploymentSettingsError);
    expect(() => settingsWith(context)).toThrow(message);
  });
});

describe('without a custom domain', () => {
  let app: App;
  let stateless: Template;

  beforeAll(() => {
    const built = appWith({});
    app = built.app;
    stateless = Template.fromStack(built.stateless);
  });

  it('deploys only the two stacks, with no public origin for the functions and no origin output', () => {
    expect(app.node.children.filter((child) => child instanceof Stack).map((stack) => stack.node.id)).toEqual([
      'MarketplaceStateful',
      'MarketplaceStateless',
    ]);
    expect(Object.keys(stateless.findOutputs(API_DOMAIN_OUTPUT))).toEqual([]);
    // Nothing for the origin guard either: every HTTP function serves whoever calls the execute-api host.
    stateless.resourceCountIs('Custom::AWS', 0);
    stateless.resourceCountIs('AWS::SSM::Parameter', 0);
    for (const [service, variables] of functionEnvironments(stateless)) {
      expect(variables[ENV.publicBaseUrl], service).toBeUndefined();
      expect(variables[ENV.originVerifySecret], service).toBeUndefined();
      // Links in contact mails point at the API's own URL.
      if (variables[ENV.contactLinksBaseUrl] !== undefined) {
        expect(JSON.stringify(variables[ENV.contactLinksBaseUrl]), service).toContain('execute-api');
      }
    }
  });

  it('throttles every route of the API on its own budget, the webhook and the landing page included', () => {
    const stage = Object.values(stateless.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const routeSettings = stage?.Properties.RouteSettings as Record<string, Record<string, number>>;
    const routeKeys = HTTP_ROUTES.flatMap((route) => route.methods.map((method) => `${method} ${route.path}`));

    expect(Object.keys(routeSettings).sort()).toEqual([...routeKeys].sort());
    expect(routeSettings['POST /webhook']).toEqual({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
    expect(routeSettings['GET /landing']).toEqual({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
    expect(routeSettings['POST /v1/usage']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    // The sum of all route budgets stays far below the account's regional limit (10,000/s), the only shared bucket.
    const sum = Object.values(routeSettings).reduce(
      (total, throttle) => total + (throttle.ThrottlingRateLimit ?? 0),
      0,
    );
    expect(sum).toBeLessThan(1_000);
    // API Gateway refuses settings for a route it does not know yet: the stage waits for every route.
    const routeIds = Object.keys(stateless.findResources('AWS::ApiGatewayV2::Route'));
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('gives every route of infra/functions.ts a throttle budget', () => {
    for (const route of HTTP_ROUTES) expect(ROUTE_THROTTLES[route.path], route.path).toBeDefined();
  });
});

describe('with a custom domain and its hosted zone', () => {
  let app: App;
  let stateless: Template;
  let firewall: Template;
  let edge: Template;
  let firewallStack: Stack;

  beforeAll(() => {
    const built = appWith({ domainName: DOMAIN, ...ZONE });
    if (!built.edge) throw new Error('The domain settings made no edge stacks');
    app = built.app;
    firewallStack = built.edge.firewall;
    stateless = Template.fromStack(built.stateless);
    firewall = Template.fromStack(built.edge.firewall);
    edge = Template.fromStack(built.edge.edge);
  });

  it('puts the web ACL and the certificate in us-east-1, where CloudFront reads them', () => {
    expect(firewallStack.region).toBe(EDGE_REGION);
    firewall.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    firewall.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: DOMAIN,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: DOMAIN, HostedZoneId: ZONE.hostedZoneId }],
    });
    firewall.hasOutput('WebAclArn', {});
    firewall.hasOutput('CertificateArn', {});
  });

  describe('the web ACL', () => {
    type Rule = { Name: string; Priority: number; Statement: Record<string, unknown>; Action?: unknown };
    let rules: Rule[];

    beforeAll(() => {
      const acl = Object.values(firewall.findResources('AWS::WAFv2::WebACL'))[0];
      rules = acl?.Properties.Rules as Rule[];
    });

    const rule = (name: string): Rule => {
      const found = rules.find((candidate) => candidate.Name === name);
      if (!found) throw new Error(`No rule ${name}`);
      return found;
    };

    it('runs the AWS managed IP reputation, known bad inputs and common rule groups', () => {
      for (const name of [
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesCommonRuleSet',
      ]) {
        expect(rule(name).Statement).toMatchObject({ ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } });
      }
      expect(new Set(rules.map((candidate) => candidate.Priority)).size).toBe(rules.length);
    });

    it("counts, not blocks, the common set's 8 KB body rule, so a 1,000-event usage request passes", () => {
      expect(rule('AWSManagedRulesCommonRuleSet').Statement).toMatchObject({
        ManagedRuleGroupStatement: {
          RuleActionOverrides: [{ Name: COMMON_RULE_SET_BODY_SIZE_RULE, ActionToUse: { Count: {} } }],
        },
      });
    });

    it('blocks bodies over 8 KB on every path except exactly /v1/usage', () => {
      const sizeRule = rule('BodySizeLimit');
      expect(sizeRule.Action).toEqual({ Block: {} });
      expect(sizeRule.Statement).toEqual({
        AndStatement: {
          Statements: [
            {
              SizeConstraintStatement: {
                FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
                ComparisonOperator: 'GT',
                Size: MAX_BODY_BYTES,
                TextTransformations: [{ Priority: 0, Type: 'NONE' }],
              },
            },
            {
              NotStatement: {
                Statement: {
                  ByteMatchStatement: expect.objectContaining({
                    SearchString: '/v1/usage',
                    PositionalConstraint: 'EXACTLY',
                  }),
                },
              },
            },
          ],
        },
      });
    });

    it('limits each IP per route group: tight for sign-in and the landing page, every path counted by one rule', () => {
      const rateOf = (name: string) =>
        (rule(name).Statement as { RateBasedStatement: Record<string, unknown> }).RateBasedStatement;
      expect(rateOf('SignInAndLandingRate')).toMatchObject({
        AggregateKeyType: 'IP',
        EvaluationWindowSec: 300,
        Limit: 100,
        ScopeDownStatement: {
          OrStatement: {
            Statements: [
              {
                ByteMatchStatement: expect.objectContaining({
                  SearchString: '/auth/',
                  PositionalConstraint: 'STARTS_WITH',
                }),
              },
              { ByteMatchStatement: expect.objectContaining({ SearchString: '/landing' }) },
            ],
          },
        },
      });
      // Decoded and lower-cased before matching, so an encoded path cannot escape into a looser rule.
      const signInMatch = (
        rateOf('SignInAndLandingRate').ScopeDownStatement as {
          OrStatement: { Statements: { ByteMatchStatement: { TextTransformations: unknown } }[] };
        }
      ).OrStatement.Statements[0]?.ByteMatchStatement;
      expect(signInMatch?.TextTransformations).toEqual([
        { Priority: 0, Type: 'URL_DECODE' },
        { Priority: 1, Type: 'LOWERCASE' },
      ]);
      expect(rateOf('WebhookRate')).toMatchObject({ Limit: 1_500 });
      expect(rateOf('ApiRate')).toMatchObject({ Limit: 15_000 });
      // The catch-all counts what the others do not, so no request is counted twice.
      const others = rateOf('OtherPathsRate').ScopeDownStatement as {
        NotStatement: {
          Statement: { OrStatement: { Statements: { ByteMatchStatement: { SearchString: string } }[] } };
        };
      };
      const excluded = others.NotStatement.Statement.OrStatement.Statements.map(
        (s) => s.ByteMatchStatement.SearchString,
      );
      expect(excluded.sort()).toEqual(FIREWALL_RATE_RULES.flatMap((r) => r.pathPrefixes ?? []).sort());
      for (const name of FIREWALL_RATE_RULES.map((r) => r.name)) expect(rule(name).Action).toEqual({ Block: {} });
    });

    it('logs blocked requests only, without query strings, cookies or Authorization', () => {
      firewall.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        LoggingFilter: {
          DefaultBehavior: 'DROP',
          Filters: [{ Behavior: 'KEEP', Conditions: [{ ActionCondition: { Action: 'BLOCK' } }] }],
        },
        RedactedFields: [
          { QueryString: {} },
          { SingleHeader: { Name: 'cookie' } },
          { SingleHeader: { Name: 'authorization' } },
        ],
      });
      firewall.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: 'aws-waf-logs-Marketplace-api',
        RetentionInDays: 30,
      });
    });
  });

  describe('the distribution', () => {
    it('serves the domain with its certificate and the web ACL, read from us-east-1 by stack output', () => {
      edge.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Aliases: [DOMAIN],
          ViewerCertificate: {
            AcmCertificateArn: {
              'Fn::GetStackOutput': {
                StackName: 'MarketplaceFirewall',
                Region: EDGE_REGION,
                OutputName: 'CertificateArn',
              },
            },
            MinimumProtocolVersion: 'TLSv1.2_2021',
            SslSupportMethod: 'sni-only',
          },
          WebACLId: {
            'Fn::GetStackOutput': { StackName: 'MarketplaceFirewall', Region: EDGE_REGION, OutputName: 'WebAclArn' },
          },
        }),
      });
    });

    it("reaches the HTTP API by the stateless stack's output, over TLS 1.2, without pinning that stack", () => {
      edge.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Origins: [
            Match.objectLike({
              DomainName: {
                'Fn::GetStackOutput': { StackName: 'MarketplaceStateless', OutputName: API_DOMAIN_OUTPUT },
              },
              CustomOriginConfig: {
                OriginProtocolPolicy: 'https-only',
                OriginSSLProtocols: ['TLSv1.2'],
                OriginReadTimeout: 30,
              },
            }),
          ],
        }),
      });
      // A weak reference: no export in the stateless stack that would stop it from being deleted and recreated.
      expect(JSON.stringify(edge.toJSON())).not.toContain('Fn::ImportValue');
      stateless.hasOutput(API_DOMAIN_OUTPUT, {
        Value: {
          'Fn::Join': [
            '',
            [{ Ref: Match.anyValue() }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }],
          ],
        },
      });
    });

    it('passes every method, header but Host, cookie and query string uncached; caches only the portal assets', () => {
      const distribution = Object.values(edge.findResources('AWS::CloudFront::Distribution'))[0];
      const config = distribution?.Properties.DistributionConfig;
      expect(config.DefaultCacheBehavior).toMatchObject({
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        // Managed CachingDisabled and AllViewerExceptHostHeader.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        ViewerProtocolPolicy: 'https-only',
      });
      expect(config.CacheBehaviors).toEqual([
        expect.objectContaining({
          PathPattern: '/portal/assets/*',
          AllowedMethods: ['GET', 'HEAD'],
          // Managed CachingOptimized; no origin request policy, so no cookie reaches the cached answers.
          CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
        }),
      ]);
      expect(config.CacheBehaviors[0].OriginRequestPolicyId).toBeUndefined();
    });

    it('gets alias records in the hosted zone, found without a lookup', () => {
      for (const type of ['A', 'AAAA']) {
        edge.hasResourceProperties('AWS::Route53::RecordSet', {
          HostedZoneId: ZONE.hostedZoneId,
          Name: `${DOMAIN}.`,
          Type: type,
          AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] } }),
        });
      }
    });

    it('outputs the URLs to give Partner Center and the sign-in redirect URI, at the custom domain', () => {
      edge.hasOutput('LandingPageUrl', { Value: `https://${DOMAIN}/landing` });
      edge.hasOutput('WebhookUrl', { Value: `https://${DOMAIN}/webhook` });
      edge.hasOutput('SignInRedirectUri', { Value: `https://${DOMAIN}/auth/callback` });
    });
  });

  it('alarms on a spike of blocked requests, to a topic of its own region, with a runbook entry', () => {
    firewall.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      // A CloudFront web ACL's metrics have no Region dimension.
      Dimensions: [
        { Name: 'Rule', Value: 'ALL' },
        { Name: 'WebACL', Value: 'MarketplaceApi' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: BLOCKED_REQUESTS_ALARM_PER_5_MINUTES,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^FirewallAlarms') }],
    });
    firewall.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    firewall.hasOutput('FirewallAlarmsTopicArn', {});
    // No on-call address in this context: nobody is subscribed until one is given.
    firewall.resourceCountIs('AWS::SNS::Subscription', 0);
    const operate = readFileSync(new URL('../../docs/operate.md', import.meta.url), 'utf8');
    expect(operate).toMatch(/^### FirewallBlockedRequestsAlarm$/m);
  });

  it('subscribes the on-call address to the firewall alarm topic too', () => {
    const app = testApp();
    const settings = readDeploymentSettings(
      new App({ context: { domainName: DOMAIN, ...ZONE, onCallEmail: 'oncall@contoso.com' } }).node,
    );
    const stateful = new StatefulStack(app, 'MailStateful', { settings });
    const stateless = new StatelessStack(app, 'MailStateless', { stateful, catalog: TEST_CATALOG, settings });
    const { firewall: withEmail } = addEdgeStacks(app, 'Mail', domainOf(settings), stateless, {
      onCallEmail: settings.onCallEmail,
    });
    Template.fromStack(withEmail).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@contoso.com',
    });
  });

  describe('the path around the firewall', () => {
    const PARAMETER = '/MarketplaceStateless/origin-verify';

    it('is closed: CloudFront sends the origin secret, read from its SSM parameter at deploy', () => {
      edge.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Origins: [
            Match.objectLike({
              OriginCustomHeaders: [{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: `{{resolve:ssm:${PARAMETER}}}` }],
            }),
          ],
        }),
      });
    });

    it('every HTTP function, and no other, requires the same generated value', () => {
      const custom = Object.entries(stateless.findResources('Custom::AWS'));
      expect(custom).toHaveLength(1);
      const [randomId, random] = custom[0] ?? [];
      // Asked of Secrets Manager once, at create (no stored secret, no monthly fee), kept out of the provider's log.
      expect(JSON.parse(random?.Properties.Create)).toMatchObject({
        service: 'SecretsManager',
        action: 'GetRandomPassword',
        parameters: { PasswordLength: 48, ExcludePunctuation: true },
        logApiResponseData: false,
      });
      expect(random?.Properties.Update).toBeUndefined();
      const generated = { 'Fn::GetAtt': [randomId, 'RandomPassword'] };
      stateless.hasResourceProperties('AWS::SSM::Parameter', { Name: PARAMETER, Type: 'String', Value: generated });

      const httpServices = [...new Set(HTTP_ROUTES.map((route) => route.functionId))].map((id) =>
        id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase(),
      );
      const guarded = [...functionEnvironments(stateless)]
        .filter(([, variables]) => variables[ENV.originVerifySecret] !== undefined)
        .map(([service, variables]) => {
          expect(variables[ENV.originVerifySecret], service).toEqual(generated);
          return service;
        });
      expect(guarded.sort()).toEqual(httpServices.sort());
      // Enforced unless the context says report (the functions' default when ORIGIN_GUARD_MODE is unset).
      for (const [, variables] of functionEnvironments(stateless))
        expect(variables[ENV.originGuardMode]).toBeUndefined();
      expect(guarded).toEqual(expect.arrayContaining(['api', 'fulfillment-webhook', 'landing', 'usage-ingest']));
      // Never in an output: outputs are shown in the console and copied into tickets.
      expect(JSON.stringify(stateless.toJSON().Outputs ?? {})).not.toContain('RandomPassword');
      expect(JSON.stringify(edge.toJSON().Outputs ?? {})).not.toContain('origin-verify');
    });
  });

  it('with originGuard=report, has every HTTP function serve and log direct calls (adding the domain to a live offer)', () => {
    const { stateless: reporting } = appWith({ domainName: DOMAIN, ...ZONE, originGuard: 'report' });
    const environments = [...functionEnvironments(Template.fromStack(reporting))].filter(
      ([, variables]) => variables[ENV.originVerifySecret] !== undefined,
    );

    expect(environments.length).toBe(new Set(HTTP_ROUTES.map((route) => route.functionId)).size);
    for (const [service, variables] of environments) expect(variables[ENV.originGuardMode], service).toBe('report');
  });

  it('tells the signing-in functions, and only them, their public origin; contact links use the domain too', () => {
    const environments = functionEnvironments(stateless);
    const withOrigin = [...environments]
      .filter(([, variables]) => variables[ENV.publicBaseUrl] !== undefined)
      .map(([service]) => service);
    expect(withOrigin.sort()).toEqual(['api', 'landing', 'portal', 'publisher-operations']);
    expect(environments.get('portal')?.[ENV.publicBaseUrl]).toBe(`https://${DOMAIN}`);
    // Links in mails at the domain too, so they survive a redeploy and pass the firewall.
    for (const service of ['api', 'contact-pages', 'alert-notifier']) {
      expect(environments.get(service)?.[ENV.contactLinksBaseUrl], service).toMatch(
        new RegExp(`^https://${DOMAIN}/?$`),
      );
    }
  });

  it('is clean under cdk-nag: every finding of the four stacks fixed or acknowledged with a reason', {
    timeout: 120_000,
  }, () => {
    app.synth();
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    const found = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
    );

    expect(found, found.join('\n')).toEqual([]);
  });
});

describe('with a custom domain and a certificate of its own, without a hosted zone', () => {
  let firewall: Template;
  let edge: Template;

  beforeAll(() => {
    const app = testApp();
    for (const [key, value] of Object.entries({ domainName: DOMAIN, certificateArn: CERTIFICATE_ARN })) {
      app.node.setContext(key, value);
    }
    const { customDomain } = readDeploymentSettings(app.node);
    if (!customDomain) throw new Error('No custom domain read');
    // The edge stacks only name the stateless stack: a stand-in is enough here.
    const stacks = addEdgeStacks(app, 'Marketplace', customDomain, new Stack(app, 'MarketplaceStateless'));
    firewall = Template.fromStack(stacks.firewall);
    edge = Template.fromStack(stacks.edge);
  });

  it('uses the given certificate, requests none and makes no DNS record: the output says where to point it', () => {
    firewall.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    firewall.resourceCountIs('AWS::WAFv2::WebACL', 1);
    edge.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        ViewerCertificate: Match.objectLike({ AcmCertificateArn: CERTIFICATE_ARN }),
      }),
    });
    edge.resourceCountIs('AWS::Route53::RecordSet', 0);
    edge.hasOutput('DistributionDomainName', { Description: `Point ${DOMAIN} here (CNAME) in your DNS` });
  });
});
