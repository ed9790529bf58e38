import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesModule from 'aws-ses-v2-local';

type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;
// A CommonJS package: depending on the loader, its function is the import's `default` or that default's `default`.
const imported = sesModule as unknown as { default: StartSes | { default: StartSes } };
const startSesServer: StartSes = typeof imported.default === 'function' ? imported.default : imported.default.default;

/** A running aws-ses-v2-local: the SES v2 API on a loopback port, with its mail viewer. */
export interface LocalSes {
  /** The endpoint to give the SES v2 client (`AWS_ENDPOINT_URL_SESV2`); also the viewer's address for a person. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local inside this Node process (like fauxqs): it accepts `SendEmail` as SES does and keeps every
 * mail in memory; `GET /` is a viewer a person opens in a browser, `GET /store` lists the mails as JSON. Its store
 * belongs to the process, so one per process is enough (tests run each file in its own process).
 */
export async function startLocalSes(port = 0): Promise<LocalSes> {
  const server = await startSesServer({ host: '127.0.0.1', port });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A mail as aws-ses-v2-local's `GET /store` lists it. */
export interface StoredMail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
}

/** The mails the stand-in at `endpoint` holds, oldest first. */
export async function storedMails(endpoint: string): Promise<StoredMail[]> {
  const response = await fetch(`${endpoint}/store`);
  if (!response.ok) throw new Error(`aws-ses-v2-local answered ${response.status} to GET /store`);
  const store = (await response.json()) as { emails: StoredMail[] };
  return store.emails;
}
