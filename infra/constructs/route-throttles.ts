import type { CfnStage, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RouteThrottle } from '#infra/route-limits.ts';

/**
 * Sets each route's throttle on the stage (`RouteSettings`, keyed by route key such as `POST /webhook`), so each
 * route is refused with 429 on its own budget (infra/route-limits.ts). API Gateway refuses route settings for a
 * route that does not exist yet, hence the stage waits for the routes.
 */
export function applyRouteThrottles(
  stage: HttpStage,
  routes: readonly HttpRoute[],
  throttles: ReadonlyMap<string, RouteThrottle>,
): void {
  const cfnStage = stage.node.defaultChild as CfnStage;
  cfnStage.routeSettings = Object.fromEntries(
    [...throttles].map(([routeKey, throttle]) => [
      routeKey,
      { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
    ]),
  );
  for (const route of routes) stage.node.addDependency(route);
}
