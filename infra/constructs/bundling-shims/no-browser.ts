/**
 * Stands in for the `open` package in function bundles (functionBundling's `--alias:open`). `@azure/identity` loads
 * it only for its interactive browser credential, to open a desktop browser for a person to sign in; with it come
 * the packages that find the default browser on macOS, Windows and WSL (about 10 KB). A function has no person and
 * no browser: the marketplace client signs in with a client secret, certificate or assertion.
 */
export default async function open(target: string): Promise<never> {
  throw new Error(`Cannot open a browser for ${target} in a Lambda function: use a non-interactive Entra credential`);
}
