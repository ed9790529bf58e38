/**
 * PLACEHOLDER — REPLACE AT MERGE with the portal UI engineer's `functions/portal/pages.ts` (issue 13, portal
 * contract). Only the signature is fixed; this minimal shell exists so the sign-in engineer's handler and tests run
 * before the real pages are merged.
 */
import { html, htmlResponse } from '#shared/http/html.ts';

export type PortalView =
  | { kind: 'home' }
  | { kind: 'subscription'; subscriptionId: string }
  | { kind: 'partner'; partnerId: string };

/** The bundled asset file names (`infra/portal-assets.ts` writes them and `manifest.json`). */
export interface PortalAssetManifest {
  readonly script: string;
  readonly style: string;
}

export function portalPage(input: {
  view: PortalView;
  language: 'en' | 'ja';
  csrfToken: string;
  assets: PortalAssetManifest;
}): { statusCode: number; headers: Record<string, string>; body: string } {
  const heading =
    input.view.kind === 'home'
      ? 'Portal'
      : input.view.kind === 'subscription'
        ? `Subscription ${input.view.subscriptionId}`
        : `Partner ${input.view.partnerId}`;
  const response = htmlResponse(
    200,
    html`<html lang="${input.language}">
<head>
<meta charset="utf-8">
<meta name="csrf-token" content="${input.csrfToken}">
<title>${heading}</title>
<link rel="stylesheet" href="/portal/assets/${input.assets.style}">
<script type="module" src="/portal/assets/${input.assets.script}"></script>
</head>
<body><main><h1>${heading}</h1>
<form method="post" action="/auth/sign-out"><input type="hidden" name="csrfToken" value="${input.csrfToken}"><button type="submit">Sign out</button></form>
</main></body>
</html>`,
    { styleHashes: [], language: input.language },
  );
  return {
    statusCode: response.statusCode ?? 200,
    headers: response.headers as Record<string, string>,
    body: response.body ?? '',
  };
}
