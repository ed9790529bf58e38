import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  FUNCTIONS,
  type FunctionDefinition,
  HTTP_ROUTES,
  localPollersOf,
  matchHttpRoute,
  SCHEDULES,
  watchedSchedules,
} from '#infra/functions.ts';
import { ensureBootstrapKey } from '#infra/local/bootstrap-key.ts';
import { localClockEndpoint } from '#infra/local/clock-endpoint.ts';
import { localContactsEndpoint } from '#infra/local/contacts-endpoint.ts';
import { asFunction, installDynamoDbAccessGuard } from '#infra/local/dynamodb-access-guard.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { type LocalMessaging, startLocalMessaging } from '#infra/local/fauxqs.ts';
import { freePort } from '#infra/local/free-port.ts';
import { localAwsEnv, marketplaceClientEnv, signInEnv } from '#infra/local/function-env.ts';
import {
  type HttpLambdaHandler,
  localLambdaContext,
  PayloadTooLargeError,
  toHttpApiEvent,
  writeHttpApiResult,
} from '#infra/local/lambda-http-adapter.ts';
import { LocalClock } from '#infra/local/local-clock.ts';
import { removeLocalSystemFile, writeLocalSystemFile } from '#infra/local/local-system-file.ts';
import { provisionLocalResources } from '#infra/local/provision.ts';
import { type SqsLambdaHandler, startQueuePoller } from '#infra/local/queue-poller.ts';
import { lambdaFailureRecord, sendToDeadLetters } from '#infra/local/scheduled-run-dead-letters.ts';
import { type LocalSchedules, type ScheduledHandler, startSchedules } from '#infra/local/scheduler.ts';
import { type LocalSes, startLocalSes } from '#infra/local/ses-local.ts';
import { type SmsStandIn, startSmsStandIn } from '#infra/local/sms-stand-in.ts';
import { writePortalAssets } from '#infra/portal-assets.ts';
import { DEAD_LETTER_QUEUE, DELIVERY_EVENTS_TOPIC, MAIN_TABLE, NOTIFICATIONS_QUEUE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import {
  type AwsEndpoints,
  createDocumentClient,
  createSnsClient,
  createSqsClient,
} from '#shared/adapters/aws-clients.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { watchedSchedulesValue } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';
import { systemClock, takeSystemClockControl } from '#shared/use-cases/ports/clock.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface LocalSystemOptions {
  /** Where DynamoDB Local keeps its data across restarts; in memory when undefined. */
  readonly dataDir?: string;
  /** Port of the HTTP API; 0 picks a free one. */
  readonly apiPort?: number;
  /** Use already running stand-ins (tests) instead of starting DynamoDB Local and fauxqs. */
  readonly endpoints?: AwsEndpoints;
  /** Prefix of the local table, queue and topic names. */
  readonly prefix?: string;
  /**
   * An existing table to run on instead of creating `<prefix>-Main`, as the CDK app's `tableName` setting does with a
   * restored table (docs/restore.md); the queues and topics are still the prefix's.
   */
  readonly tableName?: string;
  /** Plan catalog served by the functions. */
  readonly catalogPath?: string;
  /** File holding the bootstrap publisher key. */
  readonly bootstrapKeyFile?: string;
  /**
   * Folder for generated files: the emulator's CA certificate, `local-system.json` (where `npm run clock` finds this
   * system) and `clock.json` (how far the local clock was moved, kept across restarts).
   */
  readonly localDir?: string;
  readonly log?: (line: string) => void;
}

export interface LocalSystem {
  readonly apiUrl: string;
  /** The marketplace emulator the functions talk to instead of Microsoft. */
  readonly emulator: MarketplaceEmulator;
  readonly endpoints: Required<AwsEndpoints>;
  readonly resources: Record<string, string>;
  /** aws-ses-v2-local: the alert e-mails the notifier sent (a person opens this URL; `GET <url>/store` as JSON). */
  readonly mail: LocalSes;
  /** The SMS stand-in: the alert SMS the notifier sent (`GET <endpoint>/messages`). */
  readonly sms: SmsStandIn;
  /**
   * The one dead-letter queue (`DEAD_LETTER_QUEUE`): failed queue messages, and the failure records of scheduled runs
   * that threw.
   */
  readonly deadLetterQueueUrl: string;
  readonly bootstrapKey: { token: string; created: boolean };
  /** The one clock of the system: the functions, the emulator and the schedules follow it; it moves only forward. */
  readonly clock: LocalClock;
  stop(): Promise<void>;
}

/**
 * The whole system on one machine: DynamoDB Local and fauxqs, the tables, queues and topics of the CDK app, the
 * Lambda handlers behind an HTTP server speaking API Gateway's v2 event format, and the schedules on timers.
 */
export async function startLocalSystem(options: LocalSystemOptions = {}): Promise<LocalSystem> {
  const log = options.log ?? (() => undefined);
  const started: {
    dynamodb?: DynamoDbLocal;
    messaging?: LocalMessaging;
    server?: Server;
    emulator?: MarketplaceEmulator;
    clock?: LocalClock;
    schedules?: LocalSchedules;
    guard?: () => void;
    mail?: LocalSes;
    sms?: SmsStandIn;
  } = {};
  const localDir = options.localDir ?? join(REPO_ROOT, '.local');
  const stopAll = async () => {
    await started.schedules?.stop();
    await new Promise<void>((done) => (started.server ? started.server.close(() => done()) : done()));
    await Promise.allSettled([
      started.emulator?.stop(),
      started.messaging?.stop(),
      started.dynamodb?.stop(),
      started.mail?.stop(),
      started.sms?.stop(),
    ]);
    started.clock?.release();
    started.guard?.();
  };
  try {
    const endpoints = await startStandIns(options, started);
    // The alert channels' stand-ins: SES (aws-ses-v2-local, with a mail viewer) and End User Messaging SMS.
    [started.mail, started.sms] = await Promise.all([startLocalSes(), startSmsStandIn()]);
    const mail = started.mail;
    const sms = started.sms;
    const resources = await provision(endpoints, options.prefix ?? 'local', options.tableName);
    // fauxqs sends no e-mail or SMS: alerts also go to an outbox queue subscribed with the same filter policies,
    // which `GET /v1/outbox` shows.
    const outbox = await createSqsClient(endpoints).send(
      new CreateQueueCommand({ QueueName: `${options.prefix ?? 'local'}-AlertsOutbox` }),
    );
    resources[ENV.alertsOutboxQueueUrl] = outbox.QueueUrl ?? '';
    const catalogPath = options.catalogPath ?? join(REPO_ROOT, 'infra/catalog/catalog.yaml');
    // The API port is needed before the emulator starts (its webhook and landing URLs point at us): reserve it now.
    const apiPort = options.apiPort || (await freePort());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await mkdir(localDir, { recursive: true });
    // One clock for the whole system, taken before anything reads the time: the functions read it as systemClock,
    // the emulator follows it, the schedules run on it. A restart over the same data resumes at the saved offset.
    started.clock = await LocalClock.start(takeSystemClockControl(), join(localDir, 'clock.json'));
    const clock = started.clock;
    const catalog = await loadCatalog(catalogPath);
    started.emulator = await startMarketplaceEmulator({
      catalog,
      webhookUrl: `${apiUrl}/webhook`,
      landingPageUrl: `${apiUrl}/landing`,
      clock: {
        nowMs: () => clock.nowMs(),
        jumpTo: (ms) => clock.jumpTo(ms),
        move: async (at) => void (await clock.move(at)),
      },
      // The functions' token cache (AccessTokenCache) counts a token's hour on the real clock; after the clock jumps ahead
      // the emulator would refuse that token as expired while the functions keep using it.
      verifyTokenExpiry: false,
      log,
    });
    const emulator = started.emulator;
    const caPath = join(localDir, 'emulator-ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
    const portalAssetsDir = join(localDir, 'portal-assets');
    await writePortalAssets(portalAssetsDir);
    Object.assign(process.env, {
      // The functions' marketplace client talks to the emulator with a real Entra token from its fake authority.
      ...marketplaceClientEnv(emulator, caPath),
      // Sign-in (landing page, portal) goes through the same fake Entra's test-user form.
      ...signInEnv(emulator, caPath, portalAssetsDir),
      ...resources,
      ...localAwsEnv(endpoints),
      ...localAlertChannelEnv(mail, sms, apiUrl),
      // As the CDK app compiles it into each bundle: functions read the catalog as JSON only.
      [ENV.catalogJson]: JSON.stringify(catalog),
      // The canary opens the local landing page, as it opens the deployed one.
      [ENV.landingPageUrl]: `${apiUrl}/landing`,
      // Confirm and unsubscribe links sent to alert contacts point at this server (the contact pages).
      [ENV.contactLinksBaseUrl]: apiUrl,
      // The schedules run here, as the stack deploys them; the dispatcher watches them.
      [ENV.watchedSchedules]: watchedSchedulesValue(watchedSchedules(SCHEDULES)),
      // Confirmation messages go through the same local SES and SMS stand-ins as the alerts (not LOCAL_MAILBOX, which
      // the handler tests use): the mail viewer and the SMS stand-in's /messages show them with their links.
      // `npm run smoke -- --local` checks a signed test webhook end to end (its test subscriptions only; nothing
      // here is real): as a stack deployed with `smokeTestWebhooks` (docs/security.md "Test webhooks").
      [ENV.smokeTestWebhooks]: 'on',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    const bootstrapKey = await ensureBootstrapKey(
      {
        apiKeys: new DynamoApiKeyStore(createDocumentClient(endpoints), resources[MAIN_TABLE.envVar] ?? ''),
        codec: apiKeyCodec,
        clock: systemClock,
      },
      options.bootstrapKeyFile ?? join(REPO_ROOT, '.local/bootstrap-key'),
    );
    // Before the handlers load: they create their DynamoDB clients then.
    started.guard = installDynamoDbAccessGuard();
    const handlers = await importHandlers(FUNCTIONS);
    const prefix = options.prefix ?? 'local';
    const deadLetterSqs = createSqsClient(endpoints);
    const deadLetters = await deadLetterSqs.send(
      new GetQueueUrlCommand({ QueueName: `${prefix}-${DEAD_LETTER_QUEUE.id}` }),
    );
    started.schedules = startSchedules(
      SCHEDULES,
      (schedule) => handlers.get(schedule.functionId) as unknown as ScheduledHandler,
      // As Lambda's on-failure destination does in AWS: the failed run's record in the one dead-letter queue, where a
      // person running locally finds it with the failed queue messages (docs/local-mode.md).
      async (schedule, error, event) => {
        log(`schedule ${schedule.id} failed: ${error instanceof Error ? error.message : error}`);
        const record = lambdaFailureRecord({
          functionName: `${prefix}-${schedule.functionId}`,
          region: process.env.AWS_REGION ?? 'us-east-1',
          event,
          error,
          at: clock.now(),
        });
        await sendToDeadLetters(deadLetterSqs, deadLetters.QueueUrl ?? '', record).catch((sendError: unknown) =>
          log(`schedule ${schedule.id}: its failure could not be dead-lettered: ${sendError}`),
        );
      },
      { clock },
    );
    const schedules = started.schedules;
    const clockEndpoint = localClockEndpoint({ clock, schedules, bootstrapToken: bootstrapKey.token });
    const contactsEndpoint = localContactsEndpoint({
      sns: createSnsClient(endpoints),
      deliveryEventsTopicArn: resources[DELIVERY_EVENTS_TOPIC.envVar] ?? '',
      bootstrapToken: bootstrapKey.token,
    });
    started.server = await serveHttp(
      handlers,
      apiPort,
      log,
      async (request, response, url) =>
        (await clockEndpoint(request, response, url)) || contactsEndpoint(request, response, url),
    );
    const sqs = createSqsClient(endpoints);
    const pollers = await startQueueTriggers(handlers, sqs, resources, log);
    // The notifications queue holds alerts for unconfirmed contacts for days (invisible, coming back later): nothing
    // else in the system waits for it, so a clock move does not wait for it to empty.
    const triggerQueues = FUNCTIONS.flatMap((f) =>
      f.trigger && f.trigger.queue !== NOTIFICATIONS_QUEUE ? [resources[f.trigger.queue.envVar] ?? ''] : [],
    );
    clock.follow({
      runTimersUntil: (target) => emulator.runTimersUntil(target),
      holdSchedules: (move) => schedules.exclusive(move),
      settle: () => settleQueues(sqs, triggerQueues),
    });
    await writeLocalSystemFile(localDir, {
      apiUrl,
      emulatorControlUrl: emulator.controlUrl,
      pid: process.pid,
      toolEnv: { ...marketplaceClientEnv(emulator, caPath), ...resources, ...localAwsEnv(endpoints) },
    });
    return {
      apiUrl,
      emulator,
      endpoints,
      resources,
      mail,
      sms,
      deadLetterQueueUrl: deadLetters.QueueUrl ?? '',
      bootstrapKey,
      clock,
      stop: async () => {
        await schedules.stop();
        await Promise.all(pollers.map((poller) => poller.stop()));
        await stopAll();
        await removeLocalSystemFile(localDir);
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Waits until the queues the functions consume are empty (nothing waiting, in flight or delayed), polling their
 * counters, for at most `timeoutMs`: false when work was still queued then (a message failing and waiting for its
 * retry, for instance).
 */
async function settleQueues(sqs: SQSClient, queueUrls: readonly string[], timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(
      queueUrls.map(async (url) => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        return Object.values(Attributes).reduce((sum, value) => sum + Number(value ?? 0), 0);
      }),
    );
    if (counts.every((count) => count === 0)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Pollers per queue-triggered function, standing in for Lambda's scaling in AWS: `localPollersOf` the trigger (its
 * `localPollers`, else its `maxConcurrency`, else 2), so the reporter's shard workers run in parallel here too.
 */
async function startQueueTriggers(
  handlers: Map<string, HttpLambdaHandler>,
  sqs: SQSClient,
  resources: Record<string, string>,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> }[]> {
  const pollers: { stop(): Promise<void> }[] = [];
  for (const definition of FUNCTIONS) {
    if (!definition.trigger) continue;
    const queueUrl = resources[definition.trigger.queue.envVar] ?? '';
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    for (let poller = 0; poller < localPollersOf(definition.trigger); poller++) {
      pollers.push(
        startQueuePoller(sqs, {
          queueUrl,
          queueArn: attributes.Attributes?.QueueArn ?? '',
          batchSize: definition.trigger.batchSize,
          maxBatchingWindowSeconds: definition.trigger.maxBatchingWindowSeconds,
          handler: handlers.get(definition.id) as unknown as SqsLambdaHandler,
          onError: (error) => log(`${definition.id} failed a batch: ${error instanceof Error ? error.message : error}`),
        }),
      );
    }
  }
  return pollers;
}

/**
 * What the notifier sends through locally: aws-ses-v2-local and the SMS stand-in, with a sender and an origination
 * identity of their own (neither checks them), unsubscribe links pointing at this API, and the US and Japan allowed
 * (the stand-in sends anywhere; the allow-list is what the tests exercise).
 */
function localAlertChannelEnv(mail: LocalSes, sms: SmsStandIn, apiUrl: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SESV2: mail.endpoint,
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: sms.endpoint,
    [ENV.alertEmailFrom]: 'Alerts <alerts@publisher.localhost>',
    [ENV.smsOriginationIdentity]: 'arn:aws:sms-voice:us-east-1:000000000000:phone-number/local',
    [ENV.smsAllowedCountries]: 'JP,US',
    [ENV.contactLinksBaseUrl]: apiUrl,
  };
}

async function startStandIns(
  options: LocalSystemOptions,
  started: { dynamodb?: DynamoDbLocal; messaging?: LocalMessaging },
): Promise<Required<AwsEndpoints>> {
  if (options.endpoints?.dynamodb && options.endpoints.sqs && options.endpoints.sns) {
    return options.endpoints as Required<AwsEndpoints>;
  }
  [started.dynamodb, started.messaging] = await Promise.all([
    startDynamoDbLocal({ dbPath: options.dataDir }),
    startLocalMessaging(),
  ]);
  const messaging = started.messaging.endpoint;
  return { dynamodb: started.dynamodb.endpoint, sqs: messaging, sns: messaging };
}

async function provision(
  endpoints: Required<AwsEndpoints>,
  prefix: string,
  tableName: string | undefined,
): Promise<Record<string, string>> {
  const dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    return await provisionLocalResources(
      { dynamodb, sqs: createSqsClient(endpoints), sns: createSnsClient(endpoints) },
      prefix,
      tableName ? { existingTables: { [MAIN_TABLE.id]: tableName } } : {},
    );
  } finally {
    dynamodb.destroy();
  }
}

async function importHandlers(functions: readonly FunctionDefinition[]): Promise<Map<string, HttpLambdaHandler>> {
  const handlers = new Map<string, HttpLambdaHandler>();
  for (const definition of functions) {
    // Imported only now, after the environment is set: handlers read their configuration at module load.
    const module = (await import(pathToFileURL(join(REPO_ROOT, definition.entry)).href)) as {
      handler: HttpLambdaHandler;
    };
    // Each function's DynamoDB requests are checked against its declared table access, as IAM does in AWS.
    handlers.set(definition.id, asFunction(definition, module.handler));
  }
  return handlers;
}

function serveHttp(
  handlers: Map<string, HttpLambdaHandler>,
  port: number,
  log: (line: string) => void,
  localRoutes: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>,
): Promise<Server> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      // The local mode's own control routes (the clock), which API Gateway does not have.
      if (await localRoutes(request, response, url)) return;
    } catch (error) {
      log(`${request.method} ${url.pathname} failed: ${error instanceof Error ? error.stack : error}`);
      writeHttpApiResult(response, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
      return;
    }
    let match: ReturnType<typeof matchHttpRoute>;
    try {
      match = matchHttpRoute(request.method ?? 'GET', url.pathname, HTTP_ROUTES);
    } catch (error) {
      if (!(error instanceof URIError)) throw error;
      // A path parameter whose percent escapes do not decode (`%E0%A4%A`) has no value to give the function:
      // refused as a bad request, instead of a request this server never answers.
      writeHttpApiResult(response, { statusCode: 400, body: JSON.stringify({ message: 'Bad Request' }) });
      return;
    }
    const handler = match && handlers.get(match.route.functionId);
    try {
      if (!match || !handler) {
        // What API Gateway answers for a path with no route.
        writeHttpApiResult(response, { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) });
        return;
      }
      const event = await toHttpApiEvent(request, match.routeKey);
      event.pathParameters = Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined;
      const result = await handler(event, localLambdaContext(match.route.functionId));
      writeHttpApiResult(response, result);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        writeHttpApiResult(response, { statusCode: 413, body: JSON.stringify({ message: error.message }) });
        return;
      }
      // A handler that throws is a 500 from API Gateway's point of view; say so and keep serving.
      log(`${request.method} ${url.pathname} failed: ${error instanceof Error ? error.stack : error}`);
      writeHttpApiResult(response, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise(server));
  });
}
