import { startFauxqs } from 'fauxqs';

/** A running in-process SQS/SNS stand-in. */
export interface LocalMessaging {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (SQS and SNS wire APIs) inside this Node process on a loopback port.
 * Its queue URLs carry a host name that does not resolve here, so SQS clients must be built with an explicit
 * `endpoint` (see `shared/adapters/aws-clients.ts`).
 */
export async function startLocalMessaging(port = 0): Promise<LocalMessaging> {
  const server = await startFauxqs({ port, logger: false, host: '127.0.0.1' });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}
