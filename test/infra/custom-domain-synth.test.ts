import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '#shared/env-names.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `cdk synth` through infra/app.ts with the domain settings, offline, as a publisher runs it. Only the edge stacks
 * are selected (`--exclusively`), so the function bundles are not built; every stack's template is still written.
 */
function synthEdge(outputDir: string, context: Record<string, string>) {
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  return new Promise<{ exitCode: number; stderr: string }>((resolve) => {
    execFile(
      'npx',
      [
        'cdk',
        'synth',
        'MarketplaceFirewall',
        'MarketplaceEdge',
        '--exclusively',
        '--quiet',
        '--output',
        outputDir,
        ...contextArgs,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' }, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

describe('cdk synth with a custom domain', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('adds the firewall and edge stacks, passes cdk-nag and gives the functions the public origin', {
    timeout: 180_000,
  }, async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'cdk-synth-domain-'));
    dirs.push(outputDir);

    const result = await synthEdge(outputDir, {
      domainName: 'marketplace.contoso.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'contoso.com',
    });

    expect(result.exitCode, result.stderr).toBe(0);
    const files = await readdir(outputDir);
    for (const stack of ['Stateful', 'Stateless', 'Firewall', 'Edge']) {
      expect(files).toContain(`Marketplace${stack}.template.json`);
    }
    const stateless = await readFile(join(outputDir, 'MarketplaceStateless.template.json'), 'utf8');
    expect(stateless).toMatch(new RegExp(`"${ENV.publicBaseUrl}":\\s*"https://marketplace\\.contoso\\.com"`));
  });

  it('stops with the setting to fix when the domain has no certificate source', { timeout: 180_000 }, async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'cdk-synth-domain-'));
    dirs.push(outputDir);

    const result = await synthEdge(outputDir, { domainName: 'marketplace.contoso.com' });

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('needs a certificate');
  });
});
