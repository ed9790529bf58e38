import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/app-function.ts';
import { BUNDLE_ALIASES, functionBundling, toEsbuildOptions } from '#infra/constructs/function-bundling.ts';

/*
 * The bundles replace `form-data` with Node's own FormData and the SDK's default credential chain with its
 * environment link (BUNDLE_ALIASES). Each test builds a small program with the functions' bundling options and runs
 * it: what the replaced package did for the functions must still work, without the package in the bundle.
 */
describe('bundling aliases', () => {
  const dir = mkdtemp(join(tmpdir(), 'bundle-aliases-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('axios bundled without form-data still posts JSON and forms', { timeout: 60_000 }, async () => {
    const entry = join(await dir, 'entry.mjs');
    await writeFile(
      entry,
      `import { createServer } from 'node:http';
import axios from 'axios';
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => response.end(JSON.stringify({ type: request.headers['content-type'].split(';')[0], body })));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = 'http://127.0.0.1:' + server.address().port;
const json = await axios.post(url, { quantity: 3 });
const form = await axios.postForm(url, { grant: 'client_credentials' });
console.log(JSON.stringify([json.data, form.data.type, form.data.body.includes('client_credentials')]));
server.close();
`,
    );
    const outfile = join(await dir, 'out.mjs');
    const result = await build({
      ...toEsbuildOptions(functionBundling(), entry, outfile),
      nodePaths: [join(REPO_ROOT, 'node_modules')],
      metafile: true,
    });
    const bundled = Object.keys(result.metafile.inputs);

    const { stdout } = await promisify(execFile)(process.execPath, [outfile]);

    expect(JSON.parse(stdout)).toEqual([
      { type: 'application/json', body: '{"quantity":3}' },
      'multipart/form-data',
      true,
    ]);
    expect(bundled.filter((input) => /node_modules\/(form-data|mime-db|mime-types)\//.test(input))).toEqual([]);
    expect(Object.keys(BUNDLE_ALIASES)).toContain('form-data');
  });

  it('SDK clients bundled without the credential chain sign with the environment credentials', {
    timeout: 60_000,
  }, async () => {
    const entry = join(await dir, 'credentials.mjs');
    await writeFile(
      entry,
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ region: 'us-east-1' });
try {
  const credentials = await client.config.credentials();
  console.log(JSON.stringify({ accessKeyId: credentials.accessKeyId, sessionToken: credentials.sessionToken }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
`,
    );
    const outfile = join(await dir, 'credentials-out.mjs');
    const result = await build({
      ...toEsbuildOptions(functionBundling(), entry, outfile),
      nodePaths: [join(REPO_ROOT, 'node_modules')],
      metafile: true,
    });
    const bundled = Object.keys(result.metafile.inputs);
    const run = async (env: NodeJS.ProcessEnv) =>
      JSON.parse((await promisify(execFile)(process.execPath, [outfile], { env })).stdout);

    // What the Lambda runtime sets for the function's role.
    const lambdaEnv = { AWS_ACCESS_KEY_ID: 'ASIAROLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };
    expect(await run({ PATH: process.env.PATH, ...lambdaEnv })).toEqual({
      accessKeyId: 'ASIAROLE',
      sessionToken: 'token',
    });
    // No other source is consulted (no profile file, no metadata endpoint): without the variables it says so.
    expect(await run({ PATH: process.env.PATH, AWS_PROFILE: 'developer' })).toEqual({
      error: 'Unable to find environment variable credentials.',
    });
    expect(
      bundled.filter((input) =>
        /node_modules\/@aws-sdk\/(nested-clients|credential-provider-(node|ini|sso|process|web-identity))\//.test(
          input,
        ),
      ),
    ).toEqual([]);
    expect(bundled.some((input) => input.includes('bundling-shims/lambda-credentials.ts'))).toBe(true);
  });
});
