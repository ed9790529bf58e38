/**
 * What a request that did not come through the custom domain's CloudFront gets (`ORIGIN_GUARD_MODE`, context
 * `originGuard`): `enforce` (default) refuses it with 403; `report` serves it and logs it, while the offer's URLs in
 * Partner Center still name the execute-api host (docs/deploy.md, "Adding the domain to a live offer"). A module of
 * its own so the CDK app reads the modes without loading the middleware.
 */
export const ORIGIN_GUARD_MODES = ['enforce', 'report'] as const;
export type OriginGuardMode = (typeof ORIGIN_GUARD_MODES)[number];
