/**
 * Marketplace emulator: an HTTP server of the project's that speaks Microsoft's SaaS Fulfillment API v2 and Metering
 * API, with a fake Entra ID over HTTPS, webhook delivery, a control API, a controllable clock, fault injection and an
 * inspection API. It follows ../shared/reference/marketplace-api.md (sections cited in each module): where the
 * emulator is wrong, tests pass and production fails.
 *
 * Layout: `clock.ts` (emulator time and timers), `entra.ts` (fake authority, token signing and verification),
 * `server.ts` (request ids, api-version, auth, faults, routing), `fulfillment.ts` (§1.2 rows 1–8), `operations.ts`
 * (operation lifecycle and §1.2 rows 9–11), `metering.ts` (§4), `webhooks.ts` (§2), `control.ts` (control and
 * inspection API), `faults.ts`, `plans.ts` (catalog → List Available Plans, term dates), `state.ts`.
 *
 * Ports: the marketplace API is plain HTTP at `baseUrl` (`http://127.0.0.1:PORT/api`); the control API is served on
 * the same port under `/_emulator` unless `controlPort` is given, in which case it gets a server of its own (0 = a
 * free port). Entra is HTTPS on its own port (`entra.authorityHost`).
 *
 * Getting a token with the real `@azure/identity` 4.13 on Node 20 (checked by test/emulator/entra.test.ts):
 * ```ts
 * const credential = new ClientSecretCredential(entra.tenantId, entra.clientId, entra.clientSecret, {
 *   authorityHost: entra.authorityHost,
 *   disableInstanceDiscovery: true,          // else MSAL asks login.microsoftonline.com, which fails offline
 *   agent: new https.Agent({ ca: entra.caCertificatePem }), // trust the generated certificate for this credential
 * });
 * await credential.getToken('20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default');
 * ```
 * `agent` is the core-rest-pipeline option that @azure/identity hands to MSAL's network client. Process-wide, setting
 * `NODE_EXTRA_CA_CERTS=<path of the PEM>` before Node starts works too (`main.ts` writes `.local/emulator-ca.pem`).
 *
 * Time: access tokens, landing tokens, the metering window and every timer run on the emulator clock. Access tokens
 * last one hour of emulator time: a test that advances the clock past that while a credential still caches its
 * token (MSAL caches on the real clock) gets 403, as it would with an expired token; pass `verifyTokenExpiry: false`
 * to ignore `exp`. Verify webhook tokens with `currentDate: control.now()` when the clock is not real time.
 *
 * In the local system the emulator has no clock of its own: it follows the system's (`clock: SharedTime`), which the
 * functions read too, and a `POST /clock` on the control API moves that whole system (forward only).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Catalog } from '#shared/domain/catalog.ts';
import { type ClockMode, EmulatorClock, type SharedTime } from './clock.ts';
import { controlRequestHandler, createControl, type EmulatorControl } from './control.ts';
import { MARKETPLACE_RESOURCE_ID, type MarketplaceTokenVersion, startEntraAuthority } from './entra.ts';
import { defaultTestUsers, type TestUser } from './entra-sign-in.ts';
import { FaultInjector } from './faults.ts';
import { fulfillmentRoutes } from './fulfillment.ts';
import { meteringRoutes } from './metering.ts';
import { OperationEngine, operationRoutes } from './operations.ts';
import type { EmulatorCore } from './router.ts';
import { createMarketplaceServer } from './server.ts';
import { EmulatorState } from './state.ts';
import { type WebhookRetryPolicy, WebhookSender } from './webhooks.ts';

export type {
  EmulatorControl,
  LandingToken,
  OperationView,
  PurchaseInput,
  PurchaseResult,
  SubscriptionView,
} from './control.ts';
export {
  defaultTestUsers,
  LOCAL_CUSTOMER_TENANT_ID,
  LOCAL_PARTNER_TENANT_ID,
  LOCAL_PUBLISHER_ADMIN_OBJECT_ID,
  type TestUser,
} from './entra-sign-in.ts';
export { ControlError } from './errors.ts';
export type { FaultRule } from './faults.ts';
export { EARLY_PATCH_ERROR } from './operations.ts';
export type { AcceptedUsageEvent, WebhookDelivery } from './state.ts';
export type { WebhookRetryPolicy } from './webhooks.ts';
export type { ClockMode, SharedTime };
export { MARKETPLACE_RESOURCE_ID };

export interface MarketplaceEmulatorOptions {
  /** Offers and plans: List Available Plans and the validation of plan ids and dimensions come from it. */
  catalog: Catalog;
  /**
   * The publisher's Entra app as entered on the offer's Technical configuration page (§3). Defaults: random uuids,
   * a random secret, publisherId `contoso`. `certificatePem` and `federatedCredentials` enable client assertions
   * (see `entra.ts`).
   */
  publisher?: {
    tenantId?: string;
    clientId?: string;
    clientSecret?: string;
    publisherId?: string;
    certificatePem?: string;
    federatedCredentials?: { issuer: string; subject: string; audiences?: string[] }[];
  };
  /** Where webhooks are POSTed; can be set later with `control.setWebhookUrl`. */
  webhookUrl?: string;
  /** Marketplace API port; 0 / undefined = a free port. */
  port?: number;
  /**
   * The multitenant web app that signs customers, partners and publisher admins in (landing page and portal).
   * Defaults: random client id and secret, loopback redirect URIs `http://127.0.0.1/auth/callback` and
   * `http://localhost/auth/callback` (any port), `defaultTestUsers` as the form's presets.
   */
  signIn?: {
    clientId?: string;
    clientSecret?: string;
    redirectUris?: readonly string[];
    users?: readonly TestUser[];
  };
  /** Fake Entra (HTTPS) port; 0 / undefined = a free port. */
  entraPort?: number;
  /** Undefined: the control API shares the marketplace port under `/_emulator`. A number: its own server (0 = free). */
  controlPort?: number;
  /** The emulator clock's initial time (default: real now). */
  startTime?: Date;
  /**
   * `running` (default): time flows from startTime; `manual`: it moves only with setTime/advance (tests); a
   * `SharedTime`: the emulator follows that clock (the local system's), and `startTime` is ignored.
   */
  clock?: 'running' | 'manual' | SharedTime;
  /** Seed of the fault-injection random sequence (default 1). */
  seed?: number;
  /** Landing page base URL of the landing URLs (default `http://localhost:3000/landing`). */
  landingPageUrl?: string;
  /** Emulator time a publisher-initiated operation stays InProgress before succeeding (default 3000 ms). */
  operationDelayMs?: number;
  /** Webhook redelivery policy (defaults in `webhooks.ts`: 20 attempts, 15 s doubling up to 30 min, 10 s timeout). */
  webhookRetry?: WebhookRetryPolicy;
  /**
   * Shape of the fake Entra's tokens for the marketplace resource: `v1` (default, as Entra issues them: `appid`,
   * issuer `https://sts.windows.net/<tenant>/`) or `v2` (`azp`), to check that a client copes with both.
   */
  marketplaceTokenVersion?: MarketplaceTokenVersion;
  /** Reject access tokens expired on the emulator clock (default true). */
  verifyTokenExpiry?: boolean;
  /** Behaviours reported about the live service but not documented (§1.2, §6.4); all off by default. */
  observed?: {
    /** A PATCH Failure (or 4xx webhook answer) of a portal change is ignored: the change goes through (I-ACC-348). */
    ignorePatchFailure?: boolean;
    /** Activate does not check that planId matches the purchase. */
    activateSkipsPlanCheck?: boolean;
  };
  /** Diagnostic lines (internal errors, webhooks given up). */
  log?: (line: string) => void;
}

export interface MarketplaceEmulator {
  /** Marketplace API base, e.g. `http://127.0.0.1:PORT/api`; every call needs `api-version=2018-08-31`. */
  readonly baseUrl: string;
  readonly entra: {
    /** `https://127.0.0.1:PORT`: give it to @azure/identity as `authorityHost`. */
    readonly authorityHost: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string;
    /** PEM of the self-signed TLS certificate of the authority (trust it as a CA). */
    readonly caCertificatePem: string;
    /** `https://127.0.0.1:PORT/{tenant}/v2.0`: the `iss` of webhook tokens and v2 access tokens (not of v1 ones). */
    readonly issuer: string;
    readonly jwksUri: string;
    readonly openIdConfigurationUrl: string;
    /** The sign-in web app (landing page and portal) and the users its form offers. */
    readonly signIn: {
      readonly clientId: string;
      readonly clientSecret: string;
      readonly authority: string;
      readonly users: readonly TestUser[];
    };
  };
  /** The publisher identity the emulator accepts and stamps on subscriptions and operations. */
  readonly publisher: { readonly tenantId: string; readonly clientId: string; readonly publisherId: string };
  /** HTTP control + inspection API base (e.g. `http://127.0.0.1:PORT/_emulator`). */
  readonly controlUrl: string;
  /** The same operations in-process. */
  readonly control: EmulatorControl;
  /**
   * For the owner of a shared clock (`clock: SharedTime`), when it moves: runs the emulator's timers falling due up to
   * `target`, each at its own time (the shared clock jumps to it), and leaves the shared clock at `target`.
   */
  runTimersUntil(target: Date): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the fake Entra authority and the marketplace (and, when asked, control) servers on 127.0.0.1.
 * @throws when a port is taken.
 */
export async function startMarketplaceEmulator(options: MarketplaceEmulatorOptions): Promise<MarketplaceEmulator> {
  const log = options.log ?? (() => undefined);
  const publisher = {
    tenantId: options.publisher?.tenantId ?? randomUUID(),
    clientId: options.publisher?.clientId ?? randomUUID(),
    clientSecret: options.publisher?.clientSecret ?? randomBytes(30).toString('base64url'),
    publisherId: options.publisher?.publisherId ?? 'contoso',
  };
  const startTime =
    typeof options.clock === 'object' ? new Date(options.clock.nowMs()) : (options.startTime ?? new Date());
  const clock = new EmulatorClock(startTime, options.clock ?? 'running', (error) =>
    log(`timer: ${(error as Error).stack ?? String(error)}`),
  );
  const entra = await startEntraAuthority({
    port: options.entraPort ?? 0,
    clock,
    log,
    ...(options.marketplaceTokenVersion === undefined
      ? {}
      : { marketplaceTokenVersion: options.marketplaceTokenVersion }),
  });
  entra.register({
    tenantId: publisher.tenantId,
    clientId: publisher.clientId,
    clientSecret: publisher.clientSecret,
    ...(options.publisher?.certificatePem === undefined ? {} : { certificatePem: options.publisher.certificatePem }),
    ...(options.publisher?.federatedCredentials === undefined
      ? {}
      : { federatedCredentials: options.publisher.federatedCredentials }),
  });
  const signIn = {
    clientId: options.signIn?.clientId ?? randomUUID(),
    clientSecret: options.signIn?.clientSecret ?? randomBytes(30).toString('base64url'),
    redirectUris: options.signIn?.redirectUris ?? ['http://127.0.0.1/auth/callback', 'http://localhost/auth/callback'],
    users: options.signIn?.users ?? defaultTestUsers(publisher.tenantId),
  };
  entra.registerSignInApp(signIn);
  entra.setSignInUsers(signIn.users);
  const issuer = entra.issuerOf(publisher.tenantId);
  const state = new EmulatorState();
  const faults = new FaultInjector(options.seed ?? 1);
  let operations: OperationEngine | undefined;
  const webhooks = new WebhookSender(
    {
      state,
      clock,
      sign: (claims) => entra.sign(claims),
      issuer,
      publisher,
      retry: options.webhookRetry ?? {},
      onRejected: (operationId, status) => operations?.rejectFromWebhook(operationId, status),
      log,
      faults,
    },
    options.webhookUrl,
  );
  operations = new OperationEngine({
    state,
    clock,
    catalog: options.catalog,
    webhooks,
    publisherId: publisher.publisherId,
    operationDelayMs: options.operationDelayMs ?? 3000,
    ignorePatchFailure: options.observed?.ignorePatchFailure ?? false,
  });
  let baseUrl = '';
  const core: EmulatorCore = {
    catalog: options.catalog,
    state,
    clock,
    operations,
    webhooks,
    publisherId: publisher.publisherId,
    baseUrl: () => baseUrl,
    behaviour: { activateSkipsPlanCheck: options.observed?.activateSkipsPlanCheck ?? false },
  };
  const control = createControl({
    catalog: options.catalog,
    state,
    clock,
    operations,
    webhooks,
    faults,
    entra,
    publisher,
    landingPageUrl: options.landingPageUrl ?? 'http://localhost:3000/landing',
    startTime,
  });
  let controlUrl = '';
  const info = () => ({
    baseUrl,
    controlUrl,
    entra: entraInfo,
    publisher: { ...publisher },
    webhookUrl: webhooks.webhookUrl ?? null,
    now: control.now().toISOString(),
    clock: clock.mode,
  });
  const handleControl = controlRequestHandler(control, info, faults, webhooks);
  const separateControl = options.controlPort !== undefined;
  const marketplace = createMarketplaceServer({
    routes: [...operationRoutes(core), ...fulfillmentRoutes(core), ...meteringRoutes(core)],
    faults,
    verifyToken: async (token) => ({ ...(await entra.verify(token, options.verifyTokenExpiry ?? true)) }),
    publisher,
    ...(separateControl ? {} : { control: handleControl }),
    log,
  });
  const servers: Server[] = [marketplace];
  try {
    const port = await listen(marketplace, options.port ?? 0);
    baseUrl = `http://127.0.0.1:${port}/api`;
    controlUrl = `http://127.0.0.1:${port}/_emulator`;
    if (separateControl) {
      const controlServer = createServer((request, response) => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        void handleControl(request, response, url).catch((error: unknown) => {
          log(`control: ${(error as Error).stack ?? String(error)}`);
          if (!response.headersSent) response.writeHead(500).end();
        });
      });
      servers.push(controlServer);
      controlUrl = `http://127.0.0.1:${await listen(controlServer, options.controlPort ?? 0)}/_emulator`;
    }
  } catch (error) {
    clock.stop();
    await Promise.allSettled([entra.stop(), ...servers.map(close)]);
    throw error;
  }
  const entraInfo = {
    authorityHost: entra.authorityHost,
    tenantId: publisher.tenantId,
    clientId: publisher.clientId,
    clientSecret: publisher.clientSecret,
    caCertificatePem: entra.caCertificatePem,
    issuer,
    jwksUri: entra.jwksUriOf(publisher.tenantId),
    openIdConfigurationUrl: entra.openIdConfigurationUrlOf(publisher.tenantId),
    signIn: {
      clientId: signIn.clientId,
      clientSecret: signIn.clientSecret,
      /** The multitenant authority to discover (`<authorityHost>/organizations/v2.0`). */
      authority: `${entra.authorityHost}/organizations/v2.0`,
      users: signIn.users,
    },
  };
  return {
    baseUrl,
    entra: entraInfo,
    publisher: { tenantId: publisher.tenantId, clientId: publisher.clientId, publisherId: publisher.publisherId },
    controlUrl,
    control,
    runTimersUntil: (target) => clock.setTime(target),
    async stop() {
      clock.stop();
      await Promise.allSettled([entra.stop(), ...servers.map(close)]);
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
