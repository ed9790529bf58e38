import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { API_FUNCTION, matchHttpRoute, PUBLISHER_OPERATIONS_FUNCTION } from '#infra/functions.ts';
import { asDeclaredFunction } from './guarded-handler.ts';

export type ApiGatewayHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * The project's API as API Gateway serves it: each request goes to the function `HTTP_ROUTES` names for it (the Api,
 * or PublisherOperations for the routes that call Microsoft and the health check), each run as its declared function.
 * Import it after the environment is prepared: the handlers read their configuration when loaded.
 */
export async function projectApi(): Promise<ApiGatewayHandler> {
  const handlers: Record<string, ApiGatewayHandler> = {
    [API_FUNCTION.id]: asDeclaredFunction(API_FUNCTION.id, (await import('#functions/api/handler.ts')).handler),
    [PUBLISHER_OPERATIONS_FUNCTION.id]: asDeclaredFunction(
      PUBLISHER_OPERATIONS_FUNCTION.id,
      (await import('#functions/publisher-operations/handler.ts')).handler,
    ),
  };
  return (event, context) => {
    const functionId = matchHttpRoute(event.requestContext.http.method, event.rawPath)?.route.functionId;
    const handler = functionId === undefined ? undefined : handlers[functionId];
    if (!handler) throw new Error(`${event.requestContext.http.method} ${event.rawPath} is not a route of the API`);
    return handler(event, context);
  };
}
