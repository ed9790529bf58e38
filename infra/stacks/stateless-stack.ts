import { join } from 'node:path';
import {
  Annotations,
  CfnOutput,
  CfnParameter,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  type HttpRoute,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { bindAlertChannels } from '#infra/constructs/alert-delivery.ts';
import { AppFunction, REPO_ROOT } from '#infra/constructs/app-function.ts';
import { bindQueue, bindTable, bindTopic } from '#infra/constructs/bind.ts';
import { bindClientSecret } from '#infra/constructs/client-secrets.ts';
import { bindContactLifecycle } from '#infra/constructs/contact-events.ts';
import {
  addApiAlarms,
  addFunctionAlarms,
  addNeedsAttentionAlarm,
  addReporterRunningAlarm,
} from '#infra/constructs/operational-alarms.ts';
import { OriginVerifySecret, originVerifyParameterName } from '#infra/constructs/origin-verify.ts';
import { applyRouteThrottles } from '#infra/constructs/route-throttles.ts';
import {
  SCHEDULED_RUN_RETRIES,
  scheduledRunMaxAge,
  sendFailedRunsTo,
} from '#infra/constructs/scheduled-run-failures.ts';
import { SystemDashboard } from '#infra/constructs/system-dashboard.ts';

/**
 * Where the Portal function finds its page assets at run time: `portal-assets/` of its deployment package, written
 * there after bundling (`infra/tools/write-portal-assets.ts`, run by the Portal function's after-bundling hook).
 */
export const PORTAL_ASSETS_RUNTIME_DIR = '/var/task/portal-assets';

import { catalogDefine } from '#infra/constructs/function-bundling.ts';
import {
  DEFAULT_RESERVE_CONCURRENCY,
  type DeploymentSettings,
  SMOKE_TEST_WEBHOOKS_OUTPUT,
} from '#infra/deployment-settings.ts';
import {
  API_FUNCTION,
  FULFILLMENT_WEBHOOK_FUNCTION,
  FUNCTIONS,
  type FunctionDefinition,
  HTTP_ROUTES,
  type RouteAuth,
  SCHEDULES,
  type ScheduleDefinition,
  USAGE_REPORTER_FUNCTION,
  watchedSchedules,
} from '#infra/functions.ts';
import { MAIN_TABLE, OPERATIONS_TOPIC } from '#infra/resources.ts';
import { routeThrottles } from '#infra/route-limits.ts';
import { API_DOMAIN_OUTPUT } from '#infra/stacks/edge-stack.ts';
import type { StatefulResources } from '#infra/stacks/stateful-stack.ts';
import { watchedSchedulesValue } from '#shared/config/settings.ts';
import { DEFAULT_SMS_COUNTRIES } from '#shared/domain/alerts/phone-countries.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ENV } from '#shared/env-names.ts';
import type { OriginGuardMode } from '#shared/http/origin-guard-mode.ts';

/**
 * Stage-wide throttling so a flood of requests (a runaway client, a scripted attack) is refused with 429 by
 * API Gateway instead of running up Lambda and DynamoDB charges. Well above what one publisher's app sends.
 */
export const DEFAULT_API_THROTTLE: Required<ThrottleSettings> = { rateLimit: 100, burstLimit: 200 };

/**
 * Why a route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4), per the way its function authenticates
 * the caller. An authorizer could check none of these without duplicating the function's own check.
 */
const ROUTE_AUTH_REASONS: Record<RouteAuth, string> = {
  apiKey:
    'Authenticated in the function by the API key (Authorization: Bearer), hashed and looked up in the table with ' +
    'its scope; an authorizer would add a second lookup per request and a second place for the scope rules.',
  entraToken:
    "Microsoft's webhook call carries an Entra ID token: the function verifies its signature, issuer, audience " +
    '(our Entra app) and the calling app id, then confirms the operation with Get Operation.',
  marketplaceToken:
    'Opened by the customer with the marketplace purchase token, which the function resolves with Microsoft ' +
    '(Resolve API) before it shows or activates anything; no other credential exists at that point.',
  session:
    'Authenticated in the function by its signed session cookie (after Entra sign-in); sign-in pages themselves ' +
    'must be reachable without a session.',
  public:
    'Public by design: the OpenAPI description and its page hold no data, and the sign-in steps (redirect to ' +
    'Microsoft, callback checking state, nonce and PKCE with openid-client) are how a session is obtained. The ' +
    'contact pages (confirm, unsubscribe) are reached from links in messages: their signed token is the credential.',
};

export interface StatelessStackProps extends StackProps {
  /** The data-holding resources, from the stateful stack. */
  readonly stateful: StatefulResources;
  /** The validated plan catalog; compiled into the function bundles. */
  readonly catalog: Catalog;
  /** Default `DEFAULT_API_THROTTLE`. */
  readonly apiThrottle?: ThrottleSettings;
  /** The context settings (infra/deployment-settings.ts); tests may leave them out for the defaults. */
  readonly settings?: DeploymentSettings;
  /** Default `SCHEDULES` of `infra/functions.ts`; tests pass their own. */
  readonly schedules?: readonly ScheduleDefinition[];
}

/**
 * Everything that holds no data and can be replaced at will: the functions, the HTTP API and the schedules of
 * `infra/functions.ts` (the same definitions the local mode serves), wired to the stateful stack's resources.
 */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  /** The `Api` function (`API_FUNCTION`). */
  readonly apiFunction: AppFunction;
  /** Base URL of the API, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  readonly apiUrl: string;

  private readonly functions = new Map<string, AppFunction>();

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stateful } = props;
    // Strong (export/import) references are what we want: CloudFormation then refuses to remove the table or a
    // queue from the stateful stack while a function here still uses it.
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/core:crossStackReferencesDefaultStrong',
      'Strong references protect the stateful resources from removal while in use',
    );

    // The catalog is compiled into each bundle rather than passed at run time: it was validated when the app was
    // synthesized (an invalid catalog fails `cdk synth`, never a deployed function), it is not bound by the 4 KB
    // limit on a function's environment variables, and the function reads no file at cold start. esbuild replaces
    // the literal expression `process.env.CATALOG_JSON` with the JSON text (catalogDefine).
    const define = catalogDefine(props.catalog);
    // Reservations keep the webhook and the landing page answering while a backlog runs everything else at its cap.
    const reserveConcurrency = props.settings?.reserveConcurrency ?? DEFAULT_RESERVE_CONCURRENCY;
    for (const definition of FUNCTIONS) {
      this.functions.set(definition.id, this.createFunction(definition, define, reserveConcurrency));
    }

    // The publisher's Entra app (Partner Center > offer > Technical configuration), given at deploy time:
    // `cdk deploy --parameters <prefix>Stateless:EntraTenantId=… --parameters <prefix>Stateless:EntraClientId=…`.
    const guid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
    const entraTenantId = new CfnParameter(this, 'EntraTenantId', {
      description: "Entra tenant id entered on the offer's Technical configuration page",
      allowedPattern: guid,
      constraintDescription: 'must be a GUID (Entra tenant id)',
    });
    const entraClientId = new CfnParameter(this, 'EntraClientId', {
      description: "Entra application (client) id entered on the offer's Technical configuration page",
      allowedPattern: guid,
      constraintDescription: 'must be a GUID (Entra application id)',
    });

    // Sign-in with Microsoft: the multitenant app registration of the landing page and the portal (its redirect URI
    // is `<API URL>/auth/callback`), and who administers the publisher when signed in.
    const signInClientId = new CfnParameter(this, 'SignInClientId', {
      description: 'Entra application (client) id of the multitenant app that signs customers and partners in',
      allowedPattern: guid,
      constraintDescription: 'must be a GUID (Entra application id)',
    });
    const publisherAdminTenantId = new CfnParameter(this, 'PublisherAdminTenantId', {
      description: "The publisher's Entra tenant id, whose listed users administer in the portal (empty: nobody)",
      default: '',
      allowedPattern: `^$|${guid}`,
    });
    const publisherAdminUsers = new CfnParameter(this, 'PublisherAdminUsers', {
      description: 'Comma-separated object ids or e-mail addresses of publisher administrators (in that tenant)',
      default: '',
    });
    const publisherAdminGroupId = new CfnParameter(this, 'PublisherAdminGroupId', {
      description: 'Object id of an Entra group (in that tenant) whose members administer (empty: none)',
      default: '',
      allowedPattern: `^$|${guid}`,
    });

    // What each function may touch, as `infra/functions.ts` declares it: an address plus the least grant for it.
    for (const definition of FUNCTIONS) {
      const fn = this.functionFor(definition.id, 'FUNCTIONS').function;
      if (definition.uses.table) bindTable(fn, stateful.table, MAIN_TABLE.envVar, definition.uses.table);
      for (const use of definition.uses.queues ?? []) {
        bindQueue(fn, stateful.queueFor(use.queue).queue, use.queue.envVar, use.access);
      }
      for (const topic of definition.uses.topics ?? []) bindTopic(fn, stateful.topicFor(topic), topic.envVar);
      if (definition.uses.marketplace) {
        fn.addEnvironment(ENV.entraTenantId, entraTenantId.valueAsString);
        fn.addEnvironment(ENV.entraClientId, entraClientId.valueAsString);
        fn.addEnvironment(ENV.entraCredentialKind, 'secret');
        const entraSecret = stateful.entraClientSecret;
        bindClientSecret(fn, entraSecret, {
          parameter: ENV.entraClientSecretParameter,
          secretArn: ENV.entraClientSecretArn,
        });
        // Secrets Manager only: a secret with a single version is the stack's placeholder (secret-versions.ts). A
        // parameter that was never put simply does not exist, which GetParameter already tells.
        if (definition.uses.inspectsEntraCredential && entraSecret.store === 'secretsManager') {
          fn.addToRolePolicy(
            new iam.PolicyStatement({
              actions: ['secretsmanager:ListSecretVersionIds'],
              resources: [entraSecret.secret.secretArn],
            }),
          );
        }
      }
      if (definition.uses.signIn) {
        fn.addEnvironment(ENV.signInClientId, signInClientId.valueAsString);
        bindClientSecret(fn, stateful.signInClientSecret, {
          parameter: ENV.signInClientSecretParameter,
          secretArn: ENV.signInClientSecretArn,
        });
      }
      if (definition.uses.session === 'withAdmins') {
        fn.addEnvironment(ENV.publisherAdminTenantId, publisherAdminTenantId.valueAsString);
        fn.addEnvironment(ENV.publisherAdminUsers, publisherAdminUsers.valueAsString);
        fn.addEnvironment(ENV.publisherAdminGroupId, publisherAdminGroupId.valueAsString);
      }
      // The assets are bundled into the function's own package (/var/task), next to its code.
      if (definition.uses.portalAssets) fn.addEnvironment(ENV.portalAssetsDir, PORTAL_ASSETS_RUNTIME_DIR);
      if (definition.trigger) {
        // The event source mapping polls the queue and grants the function receive/delete on it by itself.
        // Partial batch responses: only the failed messages come back, so one bad message never re-counts others.
        fn.addEventSource(
          new SqsEventSource(stateful.queueFor(definition.trigger.queue).queue, {
            batchSize: definition.trigger.batchSize,
            maxBatchingWindow:
              definition.trigger.maxBatchingWindowSeconds === undefined
                ? undefined
                : Duration.seconds(definition.trigger.maxBatchingWindowSeconds),
            maxConcurrency: definition.trigger.maxConcurrency,
            reportBatchItemFailures: true,
          }),
        );
      }
    }
    this.apiFunction = this.functionFor(API_FUNCTION.id, 'API_FUNCTION');

    // The default stage is made by hand: HttpApi's own default stage takes no throttling settings.
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Marketplace metering and fulfillment API',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...DEFAULT_API_THROTTLE, ...props.apiThrottle },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: API_ACCESS_LOG_FORMAT },
    });
    this.apiUrl = stage.url;
    // Contact links point at the API (infra/constructs/contact-events.ts); SMS countries from the context.
    bindContactLifecycle(
      FUNCTIONS.map((definition) => ({ definition, fn: this.functionFor(definition.id, 'FUNCTIONS').function })),
      {
        // The custom domain when there is one: links in mails must survive a redeploy of this stack, like the URLs
        // given to Partner Center, and go through the firewall.
        publicBaseUrl: props.settings?.customDomain
          ? `https://${props.settings.customDomain.domainName}/`
          : this.apiUrl,
        smsCountries: props.settings?.smsCountries ?? DEFAULT_SMS_COUNTRIES,
      },
    );
    // The channels of the functions that send to alert contacts (the notifier; the Api's confirmation messages).
    for (const definition of FUNCTIONS.filter((candidate) => candidate.uses.sendsAlerts)) {
      bindAlertChannels(this.functionFor(definition.id, 'FUNCTIONS').function, stateful.alertChannels);
    }

    const integrations = new Map<string, HttpLambdaIntegration>();
    const httpRoutes: HttpRoute[] = [];
    for (const route of HTTP_ROUTES) {
      const target = this.functionFor(route.functionId, `route ${route.path}`);
      const integration =
        integrations.get(route.functionId) ??
        new HttpLambdaIntegration(`${route.functionId}Integration`, target.function);
      integrations.set(route.functionId, integration);
      const routes = this.api.addRoutes({
        path: route.path,
        methods: route.methods.map((method) => HttpMethod[method]),
        integration,
      });
      for (const added of routes) {
        Validations.of(added).acknowledge({ id: 'AwsSolutions-APIG4', reason: ROUTE_AUTH_REASONS[route.auth] });
      }
      httpRoutes.push(...routes);
    }
    // Each route its own budget, so a flood on one cannot take the webhook's or the landing page's.
    applyRouteThrottles(stage, httpRoutes, routeThrottles(HTTP_ROUTES));
    const domain = props.settings?.customDomain;
    if (domain) this.servePublicly(`https://${domain.domainName}`, domain.originGuard);

    const operations = stateful.topicFor(OPERATIONS_TOPIC);
    // Failed or unstartable scheduled runs go to the one dead-letter queue of the stateful stack, whose alarm
    // (DeadLettersAlarm) covers them with the queues' dead letters (infra/constructs/scheduled-run-failures.ts).
    const withFailureDestination = new Set<string>();
    const schedules = props.schedules ?? SCHEDULES;
    for (const schedule of schedules) {
      const target = this.functionFor(schedule.functionId, `schedule ${schedule.id}`);
      const maxEventAge = scheduledRunMaxAge(schedule.everyMinutes);
      new scheduler.Schedule(this, `${schedule.id}Schedule`, {
        description: schedule.description,
        schedule: scheduler.ScheduleExpression.rate(Duration.minutes(schedule.everyMinutes)),
        target: new LatestVersionInvoke(target.function, {
          deadLetterQueue: stateful.deadLetterQueue,
          retryAttempts: SCHEDULED_RUN_RETRIES,
          maxEventAge,
          // Names the schedule, so the run notes it for the watcher of schedules (scheduled-run-recording.ts).
          input: scheduler.ScheduleTargetInput.fromObject({
            schedule: schedule.id,
            time: scheduler.ContextAttribute.scheduledTime,
          }),
        }),
      });
      // A function has one asynchronous invoke configuration, whatever the number of its schedules.
      if (!withFailureDestination.has(schedule.functionId)) {
        sendFailedRunsTo(target.function, stateful.deadLetterQueue, maxEventAge);
        withFailureDestination.add(schedule.functionId);
      }
    }

    // The watcher of schedules expects those deployed here: one a deployment leaves out is not late.
    const watched = watchedSchedulesValue(watchedSchedules(schedules));
    for (const definition of FUNCTIONS.filter((candidate) => candidate.uses.watchesSchedules)) {
      this.functionFor(definition.id, 'FUNCTIONS').function.addEnvironment(ENV.watchedSchedules, watched);
    }

    // The functions' counts that need an operator, all in one alarm (shared/needs-attention.ts).
    addNeedsAttentionAlarm(this, operations);
    // Alarms on AWS's own metrics of the functions and the API (free metrics; USD 0.10 a month per alarm metric).
    const functions = [...this.functions].map(([id, fn]) => ({ id, function: fn.function }));
    addFunctionAlarms(this, props.settings?.functionAlarms ?? 'account', functions, operations);
    addApiAlarms(this, this.api, operations);
    addReporterRunningAlarm(
      this,
      this.functionFor(USAGE_REPORTER_FUNCTION.id, 'the reporter alarm').function,
      operations,
    );

    // The landing page's URL for the functions that open it (the canary): the one Partner Center sends buyers to, so
    // at the custom domain when there is one (the check then goes through CloudFront and the firewall too). No cycle:
    // the canary is no route's integration, so the API does not depend on it while it depends on the API's id.
    const landingPageUrl = domain ? `https://${domain.domainName}/landing` : `${this.apiUrl}landing`;
    for (const definition of FUNCTIONS.filter((candidate) => candidate.uses.landingPageUrl)) {
      this.functionFor(definition.id, 'FUNCTIONS').function.addEnvironment(ENV.landingPageUrl, landingPageUrl);
    }
    // Last: the dashboard's alarm widget lists the alarms that exist when it is built.
    if (props.settings?.dashboard ?? true) {
      new SystemDashboard(this, 'Dashboard', { functions, api: this.api, stateful });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Base URL of the HTTP API' });
    // Off unless asked for (docs/security.md "Test webhooks"); the output tells `npm run smoke` which check to run.
    const smokeTestWebhooks = props.settings?.smokeTestWebhooks ?? false;
    if (smokeTestWebhooks) {
      this.functionFor(FULFILLMENT_WEBHOOK_FUNCTION.id, 'FULFILLMENT_WEBHOOK_FUNCTION').function.addEnvironment(
        ENV.smokeTestWebhooks,
        'on',
      );
    }
    new CfnOutput(this, SMOKE_TEST_WEBHOOKS_OUTPUT, {
      value: smokeTestWebhooks ? 'on' : 'off',
      description: "Whether the webhook accepts npm run smoke's test webhooks (test subscriptions only)",
    });
  }

  /**
   * With a custom domain (infra/stacks/edge-stack.ts): the execute-api host name for the distribution's origin, the
   * public origin for the functions that sign in and check CSRF, which behind CloudFront see the execute-api host in
   * `Host`, not the one the browser used, and the origin secret every HTTP function then requires (sent by CloudFront
   * only), which closes the path around the firewall.
   */
  private servePublicly(publicBaseUrl: string, originGuard: OriginGuardMode): void {
    for (const definition of FUNCTIONS) {
      if (definition.uses.session || definition.uses.signIn) {
        this.functionFor(definition.id, 'FUNCTIONS').function.addEnvironment(ENV.publicBaseUrl, publicBaseUrl);
      }
    }
    const originSecret = new OriginVerifySecret(this, 'OriginVerify', {
      parameterName: originVerifyParameterName(this.stackName),
    });
    for (const functionId of new Set(HTTP_ROUTES.map((route) => route.functionId))) {
      const fn = this.functionFor(functionId, 'HTTP_ROUTES').function;
      fn.addEnvironment(ENV.originVerifySecret, originSecret.value);
      if (originGuard === 'report') fn.addEnvironment(ENV.originGuardMode, originGuard);
    }
    new CfnOutput(this, API_DOMAIN_OUTPUT, {
      value: `${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`,
      description: `Origin of the CloudFront distribution that serves ${publicBaseUrl}`,
    });
  }

  private createFunction(
    definition: FunctionDefinition,
    define: Record<string, string>,
    reserveConcurrency: boolean,
  ): AppFunction {
    return new AppFunction(this, definition.id, {
      entry: join(REPO_ROOT, definition.entry),
      // Service names in logs and metrics are kebab-case, like the handler folders.
      serviceName: kebabCase(definition.id),
      description: definition.description,
      timeout: definition.timeoutSeconds === undefined ? undefined : Duration.seconds(definition.timeoutSeconds),
      memorySize: definition.memoryMb,
      reservedConcurrentExecutions: reserveConcurrency ? definition.reservedConcurrency : undefined,
      define,
      // The portal's page script and stylesheet go into its own package, beside the bundle (PORTAL_ASSETS_DIR).
      afterBundling: definition.uses.portalAssets
        ? (outputDir) => [
            `cd "${REPO_ROOT}" && npx tsx infra/tools/write-portal-assets.ts "${join(outputDir, 'portal-assets')}"`,
          ]
        : undefined,
    });
  }

  /** @throws Error at synth time when a route or schedule names a function that `FUNCTIONS` does not define. */
  private functionFor(functionId: string, usedBy: string): AppFunction {
    const found = this.functions.get(functionId);
    if (!found) throw new Error(`${usedBy} names function "${functionId}", which infra/functions.ts does not define`);
    return found;
  }
}

/**
 * One JSON line per request. Only the path, never the query string: the landing page's `?token=` is a purchase
 * token, a credential. `requestId` matches the function logs' `x-amzn-RequestId`; the integration fields tell a
 * function error from an API Gateway one.
 */
const API_ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTimeEpoch',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

/**
 * `LambdaInvoke` grants the schedule's role `lambda:InvokeFunction` on the function and on `<function ARN>:*` (every
 * version and alias, cdk-nag AwsSolutions-IAM5). Schedules invoke the unqualified function only, so only that is
 * granted.
 */
class LatestVersionInvoke extends LambdaInvoke {
  constructor(
    private readonly target: lambda.IFunction,
    props: ScheduleTargetBaseProps,
  ) {
    super(target, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    this.target.grantInvokeLatestVersion(role);
  }
}

function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
