import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, HTTP_ROUTES, SCHEDULES, watchedSchedules } from '#infra/functions.ts';
import { OPERATIONS_TOPIC, USAGE_REPORT_QUEUE } from '#infra/resources.ts';
import { StatefulStack } from '#infra/stacks/stateful-stack.ts';
import { DEFAULT_API_THROTTLE, StatelessStack } from '#infra/stacks/stateless-stack.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { ENV } from '#shared/env-names.ts';
import {
  actionsOf,
  resourcesOf,
  type Statement,
  statementsOfFunctionRole,
  TEST_CATALOG,
  testApp,
} from '#test/infra/cdk-test-app.ts';

describe('StatelessStack', () => {
  let stateful: StatefulStack;
  let stack: StatelessStack;
  let template: Template;
  let apiFunctionId: string;
  let apiStatements: Statement[];

  beforeAll(() => {
    const app = testApp();
    stateful = new StatefulStack(app, 'TestStateful');
    stack = new StatelessStack(app, 'TestStateless', { stateful, catalog: TEST_CATALOG });
    template = Template.fromStack(stack);
    apiFunctionId = logicalId(stack.apiFunction.function.node.defaultChild);
    apiStatements = statementsOfFunctionRole(template, apiFunctionId);
  });

  function logicalId(resource: unknown): string {
    return stack.resolve(stack.getLogicalId(resource as never)) as string;
  }

  /** How a stateful resource's attribute appears in this stack's template (a cross-stack import). */
  function imported(token: string): unknown {
    return stack.resolve(token);
  }

  function apiEnvironment(): Record<string, unknown> {
    const fn = template.findResources('AWS::Lambda::Function')[apiFunctionId];
    return fn?.Properties.Environment.Variables ?? {};
  }

  describe('the Api function', () => {
    it('runs Node.js 24 on ARM64 with active tracing and source maps', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 256,
        Environment: {
          Variables: Match.objectLike({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'api',
            POWERTOOLS_METRICS_NAMESPACE: 'MarketplaceMetering',
          }),
        },
      });
    });

    it('logs to its own log group that keeps events for 30 days', () => {
      const logGroupId = logicalId(stack.apiFunction.logGroup.node.defaultChild);
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogGroup: { Ref: logGroupId } },
      });
      // The deprecated logRetention option would add this custom resource (and a function to run it) instead.
      template.resourceCountIs('Custom::LogRetention', 0);
    });

    it('reads the table name, the usage-report queue URL and the alerts topic of the stateful stack from its environment', () => {
      const environment = apiEnvironment();
      expect(environment[ENV.tableName]).toEqual(imported(stateful.table.tableName));
      expect(environment[ENV.usageReportQueueUrl]).toEqual(
        imported(stateful.queueFor(USAGE_REPORT_QUEUE).queue.queueUrl),
      );
      // The alerts topic: test alerts and purchase-block notices.
      expect(environment).toHaveProperty(ENV.alertsTopicArn);
      expect(environment[ENV.tableName]).toHaveProperty('Fn::ImportValue');
      // Nothing that calls Microsoft: the publisher operations are PublisherOperations'.
      expect(environment).not.toHaveProperty(ENV.entraCredentialKind);
      expect(environment).not.toHaveProperty(ENV.lifecycleTopicArn);
    });
  });

  describe('least privilege of the Api function', () => {
    it('may send to the usage-report queue (a reporting run started now) but not receive or delete its messages', () => {
      const queueArn = JSON.stringify(imported(stateful.queueFor(USAGE_REPORT_QUEUE).queue.queueArn));
      const sqsActions = apiStatements.flatMap(actionsOf).filter((action) => action.startsWith('sqs:'));
      expect(
        apiStatements.some(
          (statement) =>
            statement.Effect === 'Allow' &&
            actionsOf(statement).includes('sqs:SendMessage') &&
            resourcesOf(statement).some((resource) => JSON.stringify(resource) === queueArn),
        ),
      ).toBe(true);
      expect(sqsActions).not.toContain('sqs:ReceiveMessage');
      expect(sqsActions).not.toContain('sqs:DeleteMessage');
      expect(sqsActions).not.toContain('sqs:*');
    });

    it('reads and writes only the main table and its indexes, never with a wildcard action or resource', () => {
      const dynamoStatements = apiStatements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
      );
      expect(dynamoStatements.length).toBeGreaterThan(0);
      const tableArn = JSON.stringify(imported(stateful.table.tableArn));
      // One statement per group of partitions since least privilege (test/infra/least-privilege.test.ts pins them).
      expect(dynamoStatements.flatMap(actionsOf)).toContain('dynamodb:PutItem');
      for (const statement of dynamoStatements) {
        expect(actionsOf(statement)).not.toContain('dynamodb:*');
        for (const resource of resourcesOf(statement)) {
          expect(resource).not.toBe('*');
          expect(JSON.stringify(resource)).toContain(tableArn);
        }
      }
    });

    it('has no statement that allows every action or every resource of any service', () => {
      for (const statement of apiStatements) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/(^\*$|:\*$)/);
      }
      const wildcardResources = apiStatements.filter((statement) => resourcesOf(statement).includes('*'));
      // X-Ray's PutTraceSegments / PutTelemetryRecords accept no resource but `*`.
      expect(wildcardResources.flatMap(actionsOf).every((action) => action.startsWith('xray:'))).toBe(true);
    });
    it('writes logs only to its own log group: no AWS managed policy on its role', () => {
      const roleId = logicalId(stack.apiFunction.function.role?.node.defaultChild);
      const role = template.findResources('AWS::IAM::Role')[roleId];
      // No managed policy at all, never `arn:…:iam::aws:policy/…`.
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      const logStatements = apiStatements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('logs:')),
      );
      const logGroupArn = { 'Fn::GetAtt': [logicalId(stack.apiFunction.logGroup.node.defaultChild), 'Arn'] };
      expect(logStatements.flatMap(resourcesOf)).toEqual([logGroupArn]);
      expect(logStatements.flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    });

    it('names each index of the table it may query, never every index', () => {
      const resources = apiStatements
        .filter((statement) => actionsOf(statement).includes('dynamodb:Query'))
        .flatMap(resourcesOf)
        .map((resource) => JSON.stringify(resource));
      expect(resources.some((resource) => resource.includes('/index/') && !resource.includes('/index/*'))).toBe(true);
      expect(resources.join()).not.toContain('/index/*');
    });

    it('keeps the X-Ray "*" grant in a policy of its own, holding nothing else', () => {
      const tracing = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('xray:'),
      );
      expect(tracing.length).toBeGreaterThan(0);
      for (const policy of tracing) {
        const statements = policy.Properties.PolicyDocument.Statement as Statement[];
        expect(statements).toHaveLength(1);
        expect(statements[0]?.Resource).toBe('*');
        expect(actionsOf(statements[0] as Statement).sort()).toEqual([
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ]);
      }
    });
  });

  describe('the HTTP API', () => {
    it('routes GET /health and ANY /v1/{proxy+} to the Api function', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /v1/{proxy+}' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [apiFunctionId, 'Arn'] },
      });
    });

    it('has exactly the routes of infra/functions.ts, which the local mode serves too', () => {
      const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      const expected = HTTP_ROUTES.flatMap((route) => route.methods.map((method) => `${method} ${route.path}`));
      expect(routeKeys.sort()).toEqual(expected.sort());
    });

    it('throttles the default stage so a flood of requests is refused instead of billed', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingBurstLimit: DEFAULT_API_THROTTLE.burstLimit,
          ThrottlingRateLimit: DEFAULT_API_THROTTLE.rateLimit,
        },
      });
    });

    it('logs every request to an access log group that keeps a month, without query strings', () => {
      const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      expect(stages).toHaveLength(1);
      const settings = stages[0]?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
      const logGroupId = (settings.DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format.requestId).toBe('$context.requestId');
      expect(format.status).toBe('$context.status');
      // The landing page's ?token= is a purchase token: the path variable carries no query string.
      expect(Object.values(format).join()).not.toMatch(/querystring|\$context\.requestOverride/i);
    });

    it('outputs the API URL', () => {
      template.hasOutput('ApiUrl', {});
    });
  });

  describe('schedules', () => {
    it('invokes the named function at the rate of each schedule', () => {
      const app = testApp();
      const stateful = new StatefulStack(app, 'ScheduledStateful');
      const scheduled = new StatelessStack(app, 'ScheduledStateless', {
        stateful,
        catalog: TEST_CATALOG,
        schedules: [{ id: 'Sync', functionId: 'Api', everyMinutes: 15, description: 'test schedule' }],
      });
      const scheduledTemplate = Template.fromStack(scheduled);
      const fnId = scheduled.resolve(
        scheduled.getLogicalId(scheduled.apiFunction.function.node.defaultChild as never),
      ) as string;
      scheduledTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } }),
      });
      scheduledTemplate.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'lambda:InvokeFunction',
              Resource: Match.arrayWith([{ 'Fn::GetAtt': [fnId, 'Arn'] }]),
            }),
          ]),
        },
      });
      // Only the unqualified function (and its `$LATEST` alias): no `<arn>:*` (every version and alias).
      const invokeResources = Object.values(scheduledTemplate.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))
        .flatMap(resourcesOf);
      expect(JSON.stringify(invokeResources)).not.toContain(':*');
    });

    it('names the schedule in the input of each target, for the run to note it (the watcher of schedules)', () => {
      const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));

      expect(schedules).toHaveLength(SCHEDULES.length);
      for (const schedule of SCHEDULES) {
        template.hasResourceProperties('AWS::Scheduler::Schedule', {
          Target: Match.objectLike({
            Input: JSON.stringify({ schedule: schedule.id, time: '<aws.scheduler.scheduled-time>' }),
          }),
        });
      }
    });

    it('has the dispatcher watch every deployed schedule but its own, and each watched function note its runs', () => {
      const dispatcher = Object.values(template.findResources('AWS::Lambda::Function')).find(
        (resource) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'usage-report-dispatcher',
      );
      const watched = String(dispatcher?.Properties.Environment.Variables[ENV.watchedSchedules]);

      expect(watched).toBe('AlertChecks=60,UsageReconcile=1440,SubscriptionSync=60,EntraCanary=60');
      for (const schedule of watchedSchedules(SCHEDULES)) {
        const uses = FUNCTIONS.find((definition) => definition.id === schedule.functionId)?.uses.table?.items;
        expect(uses?.UpdateItem, `${schedule.functionId} notes the runs of ${schedule.id}`).toContain(
          TABLE_PARTITION.scheduleRuns,
        );
      }
    });

    it('does not watch a schedule the deployment leaves out', () => {
      const app = testApp();
      const stateful = new StatefulStack(app, 'FewSchedulesStateful');
      const fewer = Template.fromStack(
        new StatelessStack(app, 'FewSchedulesStateless', {
          stateful,
          catalog: TEST_CATALOG,
          schedules: SCHEDULES.filter((schedule) => schedule.id !== 'UsageReconcile'),
        }),
      );
      const dispatcher = Object.values(fewer.findResources('AWS::Lambda::Function')).find(
        (resource) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'usage-report-dispatcher',
      );

      expect(dispatcher?.Properties.Environment.Variables[ENV.watchedSchedules]).toBe(
        'AlertChecks=60,SubscriptionSync=60,EntraCanary=60',
      );
    });

    it('refuses to synthesize a schedule that names a function infra/functions.ts does not define', () => {
      const app = testApp();
      const stateful = new StatefulStack(app, 'BadStateful');
      expect(
        () =>
          new StatelessStack(app, 'BadStateless', {
            stateful,
            catalog: TEST_CATALOG,
            schedules: [{ id: 'Sync', functionId: 'Nope', everyMinutes: 15, description: 'test schedule' }],
          }),
      ).toThrow('schedule Sync names function "Nope", which infra/functions.ts does not define');
    });
  });

  describe('queue-triggered functions', () => {
    it('consumes the usage queue with partial batch responses, so one bad message never re-counts the others', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: imported(stateful.usageQueue.queueArn),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('lets only the aggregator, the operation-answers consumer, the reporter, the contact-events consumer and the notifier receive and delete messages, each of its own queue', () => {
      const template2 = template.toJSON() as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const consumers = Object.entries(template2.Resources)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
        .filter(([, resource]) => JSON.stringify(resource.Properties).includes('sqs:DeleteMessage'));
      const consumerOf = (role: string) =>
        JSON.stringify(consumers.find(([, resource]) => JSON.stringify(resource.Properties.Roles).includes(role)));

      expect(consumers).toHaveLength(5);
      expect(consumerOf('AlertNotifier')).toContain('Notifications');
      expect(consumerOf('AlertNotifier')).not.toMatch(/StatefulUsage[0-9A-F]/);
      expect(consumerOf('UsageAggregator')).not.toContain('OperationAnswers');
      expect(consumerOf('UsageAggregator')).not.toContain('UsageReport');
      expect(consumerOf('UsageReporter')).toMatch(/FnGetAttUsageReport[0-9A-F]{8}Arn/);
      expect(consumerOf('UsageAggregator')).toMatch(/FnGetAttUsage[0-9A-F]{8}Arn/);
      expect(consumerOf('UsageReporter')).not.toMatch(/FnGetAttUsage[0-9A-F]{8}Arn/);
      expect(consumerOf('OperationAnswers')).toContain('OperationAnswers');
      expect(consumerOf('OperationAnswers')).not.toMatch(/StatefulUsage[0-9A-F]/);
      expect(consumerOf('ContactEvents')).toMatch(/FnGetAttContactEvents[0-9A-F]{8}Arn/);
      expect(consumerOf('ContactEvents')).not.toMatch(/FnGetAttUsage|OperationAnswers/);
    });

    it('triggers the operation-answers consumer one message at a time with partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        EventSourceArn: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('OperationAnswers') }),
      });
    });

    it('lets the webhook send to the operation-answers queue and nothing more, and gives it the queue URL', () => {
      const policies = Object.values(
        (template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> })
          .Resources,
      ).filter((resource) => resource.Type === 'AWS::IAM::Policy');
      const webhook = JSON.stringify(
        policies.find((resource) => JSON.stringify(resource.Properties.Roles).includes('FulfillmentWebhook')),
      );

      expect(webhook).toContain('sqs:SendMessage');
      expect(webhook).not.toContain('sqs:ReceiveMessage');
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            OPERATION_ANSWERS_QUEUE_URL: Match.objectLike({
              'Fn::ImportValue': Match.stringLikeRegexp('OperationAnswers'),
            }),
          }),
        },
      });
    });
  });

  describe('the usage reporter fan-out', () => {
    const functionIdOf = (service: string) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(
        ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.[0] as string;
    const policyOf = (service: string) => JSON.stringify(statementsOfFunctionRole(template, functionIdOf(service)));

    it('dispatches a run every 10 minutes from the schedule, with the dispatcher as target', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(10 minutes)',
        Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [functionIdOf('usage-report-dispatcher'), 'Arn'] } }),
      });
    });

    it('triggers the reporter one shard message at a time, with partial batch failures, bounded by its shards', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionIdOf('usage-reporter') },
        BatchSize: 1,
        // At most one message per shard and run (infra/functions.ts): no cap, so Lambda may poll with 2 when idle.
        ScalingConfig: Match.absent(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        EventSourceArn: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('UsageReport') }),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'usage-reporter' }) },
        Timeout: 60,
      });
    });

    it('lets the dispatcher send shard messages and touch the table, nothing of the marketplace', () => {
      const dispatcher = policyOf('usage-report-dispatcher');
      expect(dispatcher).toContain('sqs:SendMessage');
      expect(dispatcher).not.toContain('sqs:ReceiveMessage');
      expect(dispatcher).not.toContain('secretsmanager');
      expect(dispatcher).not.toContain('sns:Publish');
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: 'usage-report-dispatcher',
            USAGE_REPORT_QUEUE_URL: Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('UsageReport') }),
          }),
        },
      });
    });

    it('lets the reporter queue its own continuation and the API dispatch a run now, on the usage-report queue', () => {
      expect(policyOf('usage-reporter')).toContain('sqs:SendMessage');
      expect(JSON.stringify(apiStatements)).toMatch(/FnGetAttUsageReport[0-9A-F]{8}Arn/);
      expect(HTTP_ROUTES).toContainEqual({
        path: '/v1/reporting/runs',
        methods: ['GET', 'POST'],
        functionId: 'Api',
        auth: 'apiKey',
      });
    });
  });

  describe('sign-in, sessions and the portal', () => {
    const functionIdOf = (service: string) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(
        ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.[0] as string;
    const environmentOf = (service: string): Record<string, unknown> =>
      template.findResources('AWS::Lambda::Function')[functionIdOf(service)]?.Properties.Environment.Variables ?? {};
    const secretReads = (service: string) =>
      statementsOfFunctionRole(template, functionIdOf(service))
        .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]))
        .map((resource) => JSON.stringify(resource));

    it('gives the portal the sign-in app id, its secret’s parameter and the table of the session key, no secret', () => {
      expect(environmentOf('portal')).toMatchObject({
        SIGN_IN_CLIENT_ID: { Ref: 'SignInClientId' },
        SIGN_IN_CLIENT_SECRET_PARAMETER: '/Marketplace/sign-in/client-secret',
        TABLE_NAME: expect.anything(),
        PORTAL_ASSETS_DIR: '/var/task/portal-assets',
      });
      expect(environmentOf('portal')).not.toHaveProperty('SESSION_SECRET');
      expect(secretReads('portal')).toEqual([]);
    });

    it('lets the API and the landing page read the session key item but not the sign-in app’s client secret', () => {
      for (const service of ['api', 'landing']) {
        expect(environmentOf(service)).toHaveProperty('TABLE_NAME');
        expect(environmentOf(service)).not.toHaveProperty('SIGN_IN_CLIENT_SECRET_PARAMETER');
        expect(environmentOf(service)).not.toHaveProperty('SIGN_IN_CLIENT_SECRET_ARN');
      }
      expect(environmentOf('api')).toMatchObject({
        PUBLISHER_ADMIN_TENANT_ID: { Ref: 'PublisherAdminTenantId' },
        PUBLISHER_ADMIN_USERS: { Ref: 'PublisherAdminUsers' },
        PUBLISHER_ADMIN_GROUP_ID: { Ref: 'PublisherAdminGroupId' },
      });
    });

    it('routes the portal pages and the sign-in routes to the Portal function', () => {
      for (const routeKey of [
        'GET /portal',
        'GET /portal/{proxy+}',
        'GET /auth/sign-in',
        'GET /auth/callback',
        'POST /auth/sign-out',
      ]) {
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
      }
    });
  });

  describe('operational alarms', () => {
    it('pages on the functions’ counts through one alarm on NeedsAttention, published without dimension', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'MarketplaceMetering',
        MetricName: 'NeedsAttention',
        Dimensions: Match.absent(),
        Statistic: 'Sum',
        Period: 900,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        // Counts are published only when not zero (no custom metric when idle): no data is the normal state.
        TreatMissingData: 'notBreaching',
        AlarmActions: [imported(stateful.topicFor(OPERATIONS_TOPIC).topicArn)],
      });
      // No alarm reads a count of its own any more: they are graphs on the dashboard.
      const onCounts = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) =>
          alarm.Properties.Namespace === 'MarketplaceMetering' && alarm.Properties.MetricName !== 'NeedsAttention',
      );
      expect(onCounts).toEqual([]);
    });

    it('alarms when the reporter stops running at all (Lambda’s own metric, missing data breaching)', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [imported(stateful.topicFor(OPERATIONS_TOPIC).topicArn)],
      });
    });
  });

  describe('alert contacts', () => {
    it('lets no function subscribe anything to a topic: contacts are reached by the notifier, not SNS', () => {
      const statefulTemplate = Template.fromStack(stateful);
      const everyStatement = [
        ...Object.values(template.findResources('AWS::IAM::Policy')),
        ...Object.values(statefulTemplate.findResources('AWS::IAM::ManagedPolicy')),
      ].flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);

      expect(everyStatement.flatMap(actionsOf).filter((action) => action.startsWith('sns:'))).not.toContain(
        'sns:Subscribe',
      );
      expect(JSON.stringify(statefulTemplate.toJSON())).not.toContain('AlertContactsPolicy');
    });
  });
});
