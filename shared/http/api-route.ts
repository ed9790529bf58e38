import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { AuthContext } from './middleware.ts';

/**
 * A route of the project's own API, in whichever function serves it (the Api, or PublisherOperations for the routes
 * that call Microsoft): the handler gets the caller the auth middleware found.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Served without an API key (the API's description): `apiKeyAuth` skips it, the OpenAPI description says so. */
  readonly public?: true;
  readonly handler: (event: APIGatewayProxyEventV2, context: AuthContext) => Promise<APIGatewayProxyResultV2>;
}

/** The route in `@middy/http-router`'s shape (its handlers see the plain Lambda context). */
export function asRouterRoute(route: ApiRoute) {
  return {
    method: route.method,
    path: route.path,
    handler: (event: APIGatewayProxyEventV2, context: Context) => route.handler(event, context as AuthContext),
  };
}
