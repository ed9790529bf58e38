/**
 * The CAs the marketplace API and Entra calls trust: shared by the HTTP client and the credential so both trust the
 * same extra CA (locally, the emulator serves Entra and the API with one self-signed certificate).
 */
import { rootCertificates } from 'node:tls';

/** Node's bundled roots plus `pem`: an explicit `ca` list replaces the defaults, so they are added back. */
export function trustedCas(pem: string): string[] {
  return [...rootCertificates, pem];
}
