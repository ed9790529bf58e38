import { assessEntraCredential, type EntraCredentialState } from '#shared/domain/entra-credential.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type {
  CredentialLocation,
  EntraCredentialDescription,
  EntraCredentialInspector,
} from './ports/entra-credential-inspector.ts';

/** Where the marketplace credential stands, with what to do about it. */
export interface EntraCredentialReport {
  /** False when no token can be had with it: placeholder, expired, or its material cannot be read. */
  readonly ok: boolean;
  readonly state: EntraCredentialState | 'unreadable';
  readonly kind?: EntraCredentialDescription['kind'];
  /** `YYYY-MM-DD` (UTC) when it stops working, if known. */
  readonly expiresOn?: string;
  readonly daysLeft?: number;
  /** One sentence for an operator: the state, and the command or step that fixes it. */
  readonly message: string;
}

/**
 * Reads the credential's material and says where it stands: the placeholder the stack created, expired, expiring
 * within 30 days, fine, or fine with no stored expiry (nothing would warn before it stops). Never throws: material
 * that cannot be read is reported as `unreadable`, with the error's name only (the caller may log the rest).
 */
export async function checkEntraCredential(deps: {
  readonly inspector: EntraCredentialInspector;
  readonly clock: Clock;
}): Promise<EntraCredentialReport> {
  let description: EntraCredentialDescription;
  try {
    description = await deps.inspector.describe();
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    return {
      ok: false,
      state: 'unreadable',
      message:
        `The Entra credential could not be read (${name}): check that the parameter or secret exists, holds a value, ` +
        'and that this function may read it (the function logs the cause).',
    };
  }
  const assessment = assessEntraCredential(description, deps.clock.now());
  const expiresOn = assessment.expiresOn?.toISOString().slice(0, 10);
  return {
    ok: assessment.usable,
    state: assessment.state,
    kind: description.kind,
    ...(expiresOn ? { expiresOn } : {}),
    ...(assessment.daysLeft === undefined ? {} : { daysLeft: assessment.daysLeft }),
    message: messageFor(assessment.state, description, expiresOn, assessment.daysLeft),
  };
}

function messageFor(
  state: EntraCredentialState,
  description: EntraCredentialDescription,
  expiresOn: string | undefined,
  daysLeft: number | undefined,
): string {
  const put = putCommand(description);
  switch (state) {
    case 'placeholder':
      return description.location.store === 'parameterStore'
        ? `Not set: the SSM parameter ${description.location.name} holding the Entra client secret does not exist yet, so every Microsoft call fails. ${put}`
        : `Not set: the Entra client secret still holds the placeholder the stack created, so every Microsoft call fails. ${put}`;
    case 'expired':
      return `Expired on ${expiresOn}: every Microsoft call fails. ${renewal(description)} ${put}`;
    case 'expiring':
      return `Expires on ${expiresOn} (${daysLeft} days left). ${renewal(description)} ${put}`;
    case 'ready':
      return expiresOn ? `Valid until ${expiresOn} (${daysLeft} days left).` : 'Valid: nothing stored expires.';
    case 'unknownExpiry': {
      const unreadable = description.unreadableExpiry
        ? `The stored expiresOn "${description.unreadableExpiry}" is not a date (YYYY-MM-DD). `
        : '';
      return (
        `${unreadable}Its expiry is not stored, so nothing warns before it stops working: store the secret as ` +
        `{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"} (the date Entra shows beside it). ${put}`
      );
    }
  }
}

function renewal(description: EntraCredentialDescription): string {
  return description.kind === 'certificate'
    ? 'Upload a new certificate to the app registration in Entra and put its PEM (certificate and private key) here:'
    : 'Add a new client secret to the app registration in Entra and put it, with its expiry, here:';
}

function putCommand(description: EntraCredentialDescription): string {
  const location: CredentialLocation = description.location;
  const value =
    description.kind === 'certificate'
      ? 'file://certificate-and-key.pem'
      : `'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}'`;
  switch (location.store) {
    case 'parameterStore':
      return `aws ssm put-parameter --name ${location.name} --type SecureString --overwrite --value ${value}`;
    case 'secretsManager':
      return `aws secretsmanager put-secret-value --secret-id ${location.name} --secret-string ${value}`;
    case 'environment':
      return `Set ${location.name} (local mode).`;
    case 'file':
      return `Replace the file ${location.name}.`;
  }
}
