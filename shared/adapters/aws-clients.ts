import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Endpoints of local stand-ins. In AWS none are set and the SDK uses the regional endpoints; locally the
 * `AWS_ENDPOINT_URL_*` variables point at DynamoDB Local and fauxqs.
 */
export interface AwsEndpoints {
  readonly dynamodb?: string;
  readonly sqs?: string;
  readonly sns?: string;
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsEndpoints {
  return {
    dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB,
    sqs: env.AWS_ENDPOINT_URL_SQS,
    sns: env.AWS_ENDPOINT_URL_SNS,
  };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function localOptions(endpoint: string | undefined) {
  // Local stand-ins accept any credentials; pinning them avoids the SDK searching the machine for a profile.
  return endpoint ? { endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: LOCAL_CREDENTIALS } : {};
}

/** Called with every DynamoDB client created while set: `watchDynamoDbClients`. */
let dynamoDbClientWatcher: ((client: DynamoDBClient) => void) | undefined;

/**
 * Lets the local mode and the tests add a middleware to every DynamoDB client the functions create from now on (the
 * check that each function stays within its declared table access, infra/local/dynamodb-access-guard.ts). Never
 * called in AWS, where IAM does that check. Returns the function that stops watching.
 */
export function watchDynamoDbClients(watcher: (client: DynamoDBClient) => void): () => void {
  dynamoDbClientWatcher = watcher;
  return () => {
    if (dynamoDbClientWatcher === watcher) dynamoDbClientWatcher = undefined;
  };
}

/** The low-level DynamoDB client (for libraries that want one, such as Powertools Idempotency). */
export function createDynamoDbClient(endpoints: AwsEndpoints = endpointsFromEnv()): DynamoDBClient {
  const client = new DynamoDBClient(localOptions(endpoints.dynamodb));
  dynamoDbClientWatcher?.(client);
  return client;
}

/** Document client that drops `undefined` attributes, so optional fields never reach DynamoDB as nulls. */
export function createDocumentClient(endpoints: AwsEndpoints = endpointsFromEnv()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(endpoints), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(endpoints: AwsEndpoints = endpointsFromEnv()): SQSClient {
  // fauxqs hands out queue URLs whose host does not resolve; with an explicit endpoint the SDK must not
  // redirect calls to the queue URL's host.
  return new SQSClient(endpoints.sqs ? { ...localOptions(endpoints.sqs), useQueueUrlAsEndpoint: false } : {});
}

export function createSnsClient(endpoints: AwsEndpoints = endpointsFromEnv()): SNSClient {
  return new SNSClient(localOptions(endpoints.sns));
}

/**
 * Amazon SES (API v2). Locally `AWS_ENDPOINT_URL_SESV2` points at aws-ses-v2-local (infra/local/ses-local.ts); the
 * name is the one the SDK itself reads for this service, so the variable means the same to any SES v2 client.
 */
export function createSesClient(endpoint: string | undefined = process.env.AWS_ENDPOINT_URL_SESV2): SESv2Client {
  return new SESv2Client(localOptions(endpoint));
}

/**
 * AWS End User Messaging SMS. Locally `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` points at the project's stand-in
 * (infra/local/sms-stand-in.ts); again the SDK's own name for the variable.
 */
export function createSmsClient(
  endpoint: string | undefined = process.env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2,
): PinpointSMSVoiceV2Client {
  return new PinpointSMSVoiceV2Client(localOptions(endpoint));
}
