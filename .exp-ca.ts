import https from 'node:https';
import { generate } from 'selfsigned';
import { ClientSecretCredential } from '@azure/identity';

const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
} as never);
let calls: string[] = [];
const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
  calls.push(`${req.method} ${req.url}`);
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const base = `https://127.0.0.1:${(server.address() as any).port}`;
    if (req.url?.includes('openid-configuration')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        token_endpoint: `${base}/tenant1/oauth2/v2.0/token`,
        issuer: `${base}/tenant1/v2.0`,
        authorization_endpoint: `${base}/tenant1/oauth2/v2.0/authorize`,
        jwks_uri: `${base}/tenant1/discovery/v2.0/keys`,
        response_types_supported: ['code'], subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'],
        end_session_endpoint: `${base}/tenant1/oauth2/v2.0/logout`,
      }));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'abc.def.ghi' }));
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const host = `https://127.0.0.1:${(server.address() as any).port}`;
const mode = process.argv[2];
const opts: any = { authorityHost: host, disableInstanceDiscovery: true };
if (mode === 'agent') opts.agent = new https.Agent({ ca: pems.cert });
if (mode === 'tls') opts.tlsOptions = { ca: pems.cert };
try {
  const cred = new ClientSecretCredential('tenant1', 'client1', 'secret', opts);
  const t = await cred.getToken('20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default');
  console.log(mode, 'OK', t.token, t.expiresOnTimestamp - Date.now(), (t as any).refreshAfterTimestamp, calls);
} catch (e) { console.log(mode, 'FAIL', (e as Error).message.slice(0, 300), calls); }
server.close();
