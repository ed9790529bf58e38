import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  FIREWALL_RATE_RULES,
  type FirewallRateRule,
  MAX_BODY_BYTES,
  UNLIMITED_BODY_PATHS,
} from '#infra/route-limits.ts';

/** The rule of the AWS common rule set that limits bodies to 8 KB; counted only, see `MAX_BODY_BYTES`. */
export const COMMON_RULE_SET_BODY_SIZE_RULE = 'SizeRestrictions_BODY';

export interface WebFirewallProps {
  /** Names the web ACL and its metrics, e.g. the stack prefix. */
  readonly namePrefix: string;
}

/**
 * The AWS WAF web ACL in front of the API's CloudFront distribution (scope CLOUDFRONT: it must be created in
 * us-east-1). Rules, in order: AWS managed IP reputation, known bad inputs and the common rule set (its 8 KB body
 * rule counted, not blocking), our own body-size limit (every path but usage ingest), and per-IP rate limits per
 * route group (`FIREWALL_RATE_RULES`). Default action: allow. Blocked requests are logged (only those) to a log
 * group kept one month.
 *
 * Fixed cost: USD 5 a month for the web ACL and 1 per rule (a managed rule group counts as one), see docs/deploy.md.
 */
export class WebFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;
  private readonly webAclName: string;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.namePrefix}${metricName}`,
      sampledRequestsEnabled: true,
    });
    const managed = (
      priority: number,
      name: string,
      ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      // A managed group's own actions apply (block); `none` means "do not replace them".
      overrideAction: { none: {} },
      visibilityConfig: visibility(name),
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      managed(0, 'AWSManagedRulesAmazonIpReputationList'),
      managed(1, 'AWSManagedRulesKnownBadInputsRuleSet'),
      // Usage ingest takes bodies up to ~1 MB (1,000 events): the common set's 8 KB body limit would refuse it. The
      // rule only counts here (it still labels the request), and `BodySizeLimit` below blocks the same sizes on every
      // other path.
      managed(2, 'AWSManagedRulesCommonRuleSet', [
        { name: COMMON_RULE_SET_BODY_SIZE_RULE, actionToUse: { count: {} } },
      ]),
      {
        name: 'BodySizeLimit',
        priority: 3,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              {
                sizeConstraintStatement: {
                  fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                  comparisonOperator: 'GT',
                  size: MAX_BODY_BYTES,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
              // Exactly as sent: an encoded variant of the path is not exempt (and API Gateway would not route it there).
              { notStatement: { statement: anyPath(UNLIMITED_BODY_PATHS, 'EXACTLY') } },
            ],
          },
        },
        visibilityConfig: visibility('BodySizeLimit'),
      },
      ...rateRules(FIREWALL_RATE_RULES, 4, visibility),
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${props.namePrefix}Api`,
      description: 'In front of the marketplace API: managed rule groups, body size and per-IP rate limits',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rules,
      visibilityConfig: visibility('WebAcl'),
    });

    this.webAclName = `${props.namePrefix}Api`;
    // WAF writes to a log group whose name starts with `aws-waf-logs-`. Only blocked requests are kept: allowed ones
    // are in the API's access log already, and a flood of blocked ones is exactly what an operator wants to see.
    this.logGroup = new logs.LogGroup(this, 'BlockedRequests', {
      logGroupName: `aws-waf-logs-${props.namePrefix}-api`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [this.logGroup.logGroupArn],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
      // The landing page's purchase token travels in the query string, the session in a cookie: neither is logged.
      redactedFields: [
        { queryString: {} },
        { singleHeader: { Name: 'cookie' } },
        { singleHeader: { Name: 'authorization' } },
      ],
    });
  }

  /**
   * Requests the web ACL blocked, by any rule (AWS/WAFV2 `BlockedRequests`, `Rule=ALL`; a CloudFront web ACL's
   * metrics have no `Region` dimension and are published in us-east-1).
   */
  blockedRequests(period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: this.webAclName, Rule: 'ALL' },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }
}

/**
 * A match on the request path: any of `paths`, as prefixes or exactly. `normalized`: the path is URL-decoded and
 * lower-cased first, so `/%6Canding` or `/LANDING` cannot slip out of a tighter rate rule into a looser one.
 */
function anyPath(
  paths: readonly string[],
  position: 'STARTS_WITH' | 'EXACTLY',
  normalized = false,
): wafv2.CfnWebACL.StatementProperty {
  const textTransformations = normalized
    ? [
        { priority: 0, type: 'URL_DECODE' },
        { priority: 1, type: 'LOWERCASE' },
      ]
    : [{ priority: 0, type: 'NONE' }];
  const matches = paths.map(
    (path): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: position,
        searchString: path,
        textTransformations,
      },
    }),
  );
  const [only] = matches;
  return matches.length === 1 && only ? only : { orStatement: { statements: matches } };
}

/**
 * One rate-based rule per entry, aggregated by client IP over 5 minutes. A rule without paths counts every request
 * that no other rule's paths cover, so each request is counted by exactly one rule.
 */
function rateRules(
  definitions: readonly FirewallRateRule[],
  firstPriority: number,
  visibility: (name: string) => wafv2.CfnWebACL.VisibilityConfigProperty,
): wafv2.CfnWebACL.RuleProperty[] {
  const covered = definitions.flatMap((definition) => definition.pathPrefixes ?? []);
  return definitions.map((definition, index) => ({
    name: definition.name,
    priority: firstPriority + index,
    action: { block: {} },
    statement: {
      rateBasedStatement: {
        aggregateKeyType: 'IP',
        evaluationWindowSec: 300,
        limit: definition.limitPer5Minutes,
        scopeDownStatement: definition.pathPrefixes
          ? anyPath(definition.pathPrefixes, 'STARTS_WITH', true)
          : { notStatement: { statement: anyPath(covered, 'STARTS_WITH', true) } },
      },
    },
    visibilityConfig: visibility(definition.name),
  }));
}
