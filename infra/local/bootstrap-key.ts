import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import type { ApiKeyCodec, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * The first publisher key of a local system: created at first start, kept in a git-ignored file so later starts
 * print the same key, and made anew if the stored one no longer works (data folder wiped, key revoked).
 */
export async function ensureBootstrapKey(
  deps: { apiKeys: ApiKeyStore; codec: ApiKeyCodec; clock: Clock },
  file: string,
): Promise<{ token: string; created: boolean }> {
  const existing = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (existing) {
    const parsed = deps.codec.parse(existing);
    const record = parsed ? await deps.apiKeys.findById(parsed.keyId) : undefined;
    if (parsed && record && !record.revokedAt && deps.codec.matches(parsed.secret, record.secretHash)) {
      return { token: existing, created: false };
    }
  }
  const created = await createApiKey(deps, undefined, {
    name: 'bootstrap publisher key (local mode)',
    role: 'publisher',
  });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${created.token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token: created.token, created: true };
}
