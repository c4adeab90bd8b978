// Interoperability check of keyhold with openid-client v6 and jose v6.
//
//   node interop.mjs ISSUER CLIENT_ID CLIENT_SECRET USERNAME PASSWORD
//
// The client must allow the password, client_credentials and refresh_token grants.
// Prints one JSON line: {"ok":true,"steps":{...}} or {"ok":false,"step":"…","error":"…"}
// and exits non-zero on any failure.
import * as client from 'openid-client';
import * as jose from 'jose';

const AUDIENCE = 'keyhold-api';
const [issuer, clientId, clientSecret, username, password] = process.argv.slice(2);
const steps = {};
let current = 'arguments';

function check(condition, message) {
    if (!condition) throw new Error(message);
}

async function step(name, fn) {
    current = name;
    steps[name] = await fn();
}

async function verify(jwks, accessToken) {
    const { payload, protectedHeader } = await jose.jwtVerify(accessToken, jwks, {
        issuer,
        audience: AUDIENCE,
        typ: 'at+jwt',
    });
    check(payload.client_id === clientId, `client_id claim ${payload.client_id}`);
    return { alg: protectedHeader.alg, kid: protectedHeader.kid, sub: payload.sub };
}

// The grant must fail with an OAuth error response carrying this error code.
async function expectOAuthError(promise, code) {
    try {
        await promise;
    } catch (err) {
        check(err instanceof client.ResponseBodyError, `not an OAuth error: ${err}`);
        check(err.error === code, `error ${err.error}, expected ${code}`);
        return { status: err.status, error: err.error };
    }
    throw new Error(`succeeded, expected ${code}`);
}

async function main() {
    check(issuer && clientId && clientSecret && username && password,
        'usage: node interop.mjs ISSUER CLIENT_ID CLIENT_SECRET USERNAME PASSWORD');
    const options = { execute: [client.allowInsecureRequests] };
    let basic, post, jwks;

    await step('discovery', async () => {
        const url = new URL(issuer);
        basic = await client.discovery(url, clientId, undefined,
            client.ClientSecretBasic(clientSecret), options);
        post = await client.discovery(url, clientId, undefined,
            client.ClientSecretPost(clientSecret), options);
        const meta = basic.serverMetadata();
        check(meta.issuer === issuer, `issuer ${meta.issuer}`);
        jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
        return { token_endpoint: meta.token_endpoint, jwks_uri: meta.jwks_uri };
    });

    await step('client_credentials_basic', async () => {
        const tokens = await client.clientCredentialsGrant(basic);
        check(tokens.token_type.toLowerCase() === 'bearer', `token_type ${tokens.token_type}`);
        return await verify(jwks, tokens.access_token);
    });

    await step('client_credentials_post', async () => {
        const tokens = await client.clientCredentialsGrant(post);
        return await verify(jwks, tokens.access_token);
    });

    let refreshToken;
    await step('password', async () => {
        const tokens = await client.genericGrantRequest(basic, 'password', { username, password });
        check(typeof tokens.refresh_token === 'string', 'no refresh_token');
        check(tokens.expiresIn() > 0, 'no expires_in');
        refreshToken = tokens.refresh_token;
        return await verify(jwks, tokens.access_token);
    });

    await step('wrong_password', () => expectOAuthError(
        client.genericGrantRequest(basic, 'password', { username, password: password + 'x' }),
        'invalid_grant'));

    let rotated;
    await step('refresh', async () => {
        const tokens = await client.refreshTokenGrant(post, refreshToken);
        check(tokens.refresh_token && tokens.refresh_token !== refreshToken, 'not rotated');
        rotated = tokens.refresh_token;
        return await verify(jwks, tokens.access_token);
    });

    await step('refresh_reuse', () => expectOAuthError(
        client.refreshTokenGrant(basic, refreshToken), 'invalid_grant'));

    await step('family_revoked', () => expectOAuthError(
        client.refreshTokenGrant(basic, rotated), 'invalid_grant'));
}

// What the server answered, for the report: the OAuth error body or the challenge.
function describeCause(err) {
    if (err?.cause === undefined) return undefined;
    try {
        return JSON.stringify(err.cause);
    } catch {
        return String(err.cause);
    }
}

try {
    await main();
    console.log(JSON.stringify({ ok: true, steps }));
} catch (err) {
    console.log(JSON.stringify({ ok: false, step: current, error: String(err?.stack ?? err),
        cause: describeCause(err), steps }));
    process.exitCode = 1;
}
