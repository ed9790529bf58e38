import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An SMS the stand-in accepted, as `SendTextMessage` received it. */
export interface RecordedSms {
  readonly messageId: string;
  readonly destinationPhoneNumber: string;
  readonly originationIdentity: string;
  readonly messageBody: string;
  readonly messageType?: string;
  readonly configurationSetName?: string;
  readonly context?: Readonly<Record<string, string>>;
  /** ISO-8601 UTC. */
  readonly at: string;
}

export interface SmsStandIn {
  /** The endpoint to give the End User Messaging SMS client (`AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`). */
  readonly endpoint: string;
  /** The messages accepted so far, oldest first. */
  messages(): readonly RecordedSms[];
  /** Puts a number on the default opt-out list, as a person replying STOP does. */
  optOut(phoneNumber: string): void;
  stop(): Promise<void>;
}

const DEFAULT_OPT_OUT_LIST = 'Default';

type Operation = (input: Record<string, unknown>) => { status: number; body: Record<string, unknown> };

/**
 * A local stand-in for AWS End User Messaging SMS (the `PinpointSMSVoiceV2` JSON 1.0 API), for the local mode and the
 * tests, since no well-kept one exists. It speaks the wire protocol the SDK client uses (POST `/`, `X-Amz-Target:
 * PinpointSMSVoiceV2.<Operation>`, `application/x-amz-json-1.0`, errors as `__type` plus the `x-amzn-errortype`
 * header), so the project's adapter is tested unchanged against it.
 *
 * Operations: `SendTextMessage` (recorded; refused with the service's `ConflictException`
 * `DESTINATION_PHONE_NUMBER_OPTED_OUT` for an opted-out number), and the opt-out list operations
 * `PutOptedOutNumber`, `DeleteOptedOutNumber`, `DescribeOptedOutNumbers`. Add an operation to `operations` to
 * extend it (for instance the events of a configuration set).
 *
 * For a person: `GET /messages` lists what was sent, `POST /opt-outs` `{ "phoneNumber": "+1…" }` opts a number out.
 */
export async function startSmsStandIn(options: { readonly port?: number } = {}): Promise<SmsStandIn> {
  const sent: RecordedSms[] = [];
  const optedOut = new Map<string, string>();

  const operations: Record<string, Operation> = {
    SendTextMessage: (input) => {
      const destination = stringField(input, 'DestinationPhoneNumber');
      const origination = stringField(input, 'OriginationIdentity');
      const body = stringField(input, 'MessageBody');
      if (!destination || !/^\+[1-9]\d{6,14}$/.test(destination)) {
        return error(400, 'ValidationException', 'DestinationPhoneNumber must be in E.164 form', 'INVALID_PARAMETER');
      }
      if (!origination) {
        return error(400, 'ValidationException', 'OriginationIdentity is required here', 'MISSING_PARAMETER');
      }
      if (!body) return error(400, 'ValidationException', 'MessageBody is required', 'MISSING_PARAMETER');
      if (optedOut.has(destination)) {
        return error(
          409,
          'ConflictException',
          `The destination phone number ${destination} is opted out`,
          'DESTINATION_PHONE_NUMBER_OPTED_OUT',
        );
      }
      const messageId = randomUUID();
      const context = input.Context;
      sent.push({
        messageId,
        destinationPhoneNumber: destination,
        originationIdentity: origination,
        messageBody: body,
        ...optional('messageType', stringField(input, 'MessageType')),
        ...optional('configurationSetName', stringField(input, 'ConfigurationSetName')),
        ...(isStringRecord(context) ? { context } : {}),
        at: new Date().toISOString(),
      });
      return { status: 200, body: { MessageId: messageId } };
    },
    PutOptedOutNumber: (input) => {
      const number = stringField(input, 'OptedOutNumber') ?? '';
      const at = new Date().toISOString();
      optedOut.set(number, at);
      return {
        status: 200,
        body: {
          OptOutListArn: optOutListArn(),
          OptOutListName: DEFAULT_OPT_OUT_LIST,
          OptedOutNumber: number,
          OptedOutTimestamp: Date.parse(at) / 1000,
          EndUserOptedOut: false,
        },
      };
    },
    DeleteOptedOutNumber: (input) => {
      const number = stringField(input, 'OptedOutNumber') ?? '';
      const at = optedOut.get(number);
      if (at === undefined) return error(404, 'ResourceNotFoundException', `${number} is not opted out`);
      optedOut.delete(number);
      return {
        status: 200,
        body: {
          OptOutListArn: optOutListArn(),
          OptOutListName: DEFAULT_OPT_OUT_LIST,
          OptedOutNumber: number,
          OptedOutTimestamp: Date.parse(at) / 1000,
          EndUserOptedOut: false,
        },
      };
    },
    DescribeOptedOutNumbers: () => ({
      status: 200,
      body: {
        OptOutListArn: optOutListArn(),
        OptOutListName: DEFAULT_OPT_OUT_LIST,
        OptedOutNumbers: [...optedOut].map(([number, at]) => ({
          OptedOutNumber: number,
          OptedOutTimestamp: Date.parse(at) / 1000,
          EndUserOptedOut: true,
        })),
      },
    }),
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((failure: unknown) => {
      write(response, 500, { __type: 'InternalServerException', message: String(failure) }, 'InternalServerException');
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = await readBody(request);
    if (request.method === 'GET' && url.pathname === '/messages') {
      write(response, 200, { messages: sent });
      return;
    }
    if (request.method === 'POST' && url.pathname === '/opt-outs') {
      const phoneNumber = stringField(parse(text), 'phoneNumber');
      if (!phoneNumber) {
        write(response, 400, { message: 'Send { "phoneNumber": "+…" }' });
        return;
      }
      optedOut.set(phoneNumber, new Date().toISOString());
      write(response, 204, undefined);
      return;
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^PinpointSMSVoiceV2\./, '')];
    if (request.method !== 'POST' || !target.startsWith('PinpointSMSVoiceV2.') || !operation) {
      const failure = error(
        400,
        'UnknownOperationException',
        `The SMS stand-in does not implement ${target || url.pathname}`,
      );
      write(response, failure.status, failure.body, 'UnknownOperationException');
      return;
    }
    const result = operation(parse(text));
    write(
      response,
      result.status,
      result.body,
      typeof result.body.__type === 'string' ? result.body.__type : undefined,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    messages: () => [...sent],
    optOut: (phoneNumber) => void optedOut.set(phoneNumber, new Date().toISOString()),
    stop: () => new Promise<void>((resolve) => (server as Server).close(() => resolve())),
  };
}

function error(status: number, type: string, message: string, reason?: string) {
  return { status, body: { __type: type, message, Message: message, ...(reason ? { Reason: reason } : {}) } };
}

function write(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  response.writeHead(status, headers);
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parse(text: string): Record<string, unknown> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringField(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value as Record<string, unknown>).every((entry) => typeof entry === 'string')
  );
}

function optOutListArn(): string {
  return `arn:aws:sms-voice:us-east-1:000000000000:opt-out-list/${DEFAULT_OPT_OUT_LIST}`;
}
