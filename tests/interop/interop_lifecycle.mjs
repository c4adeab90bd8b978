// Interoperability of keyhold's token lifecycle (issue 4) with openid-client v6 and jose v6.
//
//   node interop_lifecycle.mjs CONFIG_JSON
//
// CONFIG_JSON: {"issuer", "client_id", "client_secret", "username", "password",
//               "other_client_id", "other_client_secret",
//               "rotation": {"before", "after", "old_kid", "new_kid"}}
// The client must allow the password and refresh_token grants and the scopes
// "openid profile email offline_access users:read"; `rotation` holds an access token
// signed before and one signed after `keyhold key rotate --now` in the same realm.
// Prints one JSON line: {"ok":true,"steps":{...}} or {"ok":false,"step":"…","error":"…"}
// and exits non-zero on any failure.
import * as client from 'openid-client';
import * as jose from 'jose';

const AUDIENCE = 'keyhold-api';
const config = JSON.parse(process.argv[2] ?? '{}');
const { issuer, username, password, rotation } = config;
const steps = {};
let current = 'arguments';

function check(condition, message) {
    if (!condition) throw new Error(message);
}

async function step(name, fn) {
    current = name;
    steps[name] = await fn();
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

// The protected resource call must fail with a Bearer challenge carrying this error.
async function expectBearerChallenge(promise, status, code) {
    try {
        await promise;
    } catch (err) {
        check(err instanceof client.WWWAuthenticateChallengeError,
            `not a WWW-Authenticate challenge: ${err} ${JSON.stringify(err?.cause)}`);
        check(err.status === status, `status ${err.status}, expected ${status}`);
        const bearer = err.cause.find((c) => c.scheme === 'bearer');
        check(bearer, `no Bearer challenge: ${JSON.stringify(err.cause)}`);
        check(bearer.parameters.error === code,
            `challenge error ${bearer.parameters.error}, expected ${code}`);
        return { status: err.status, error: bearer.parameters.error };
    }
    throw new Error(`succeeded, expected ${status} ${code}`);
}

async function main() {
    check(issuer && config.client_id && config.client_secret && username && password &&
        config.other_client_id && rotation, 'usage: node interop_lifecycle.mjs CONFIG_JSON');
    const options = { execute: [client.allowInsecureRequests] };
    const url = new URL(issuer);
    let basic, post, other, jwks;

    await step('discovery', async () => {
        basic = await client.discovery(url, config.client_id, undefined,
            client.ClientSecretBasic(config.client_secret), options);
        post = await client.discovery(url, config.client_id, undefined,
            client.ClientSecretPost(config.client_secret), options);
        other = await client.discovery(url, config.other_client_id, undefined,
            client.ClientSecretBasic(config.other_client_secret), options);
        const meta = basic.serverMetadata();
        for (const name of ['introspection_endpoint', 'revocation_endpoint',
            'userinfo_endpoint', 'end_session_endpoint']) {
            check(typeof meta[name] === 'string', `discovery has no ${name}`);
        }
        jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
        return {
            introspection_endpoint: meta.introspection_endpoint,
            revocation_endpoint: meta.revocation_endpoint,
            userinfo_endpoint: meta.userinfo_endpoint,
        };
    });

    // Password grant with openid: openid-client validates the ID token (iss, aud, exp, iat,
    // sub, alg from id_token_signing_alg_values_supported).
    let tokens;
    await step('password_openid', async () => {
        tokens = await client.genericGrantRequest(basic, 'password',
            { username, password, scope: 'openid profile email users:read' });
        const claims = tokens.claims();
        check(claims, 'no id_token');
        check(claims.aud === config.client_id ||
            (Array.isArray(claims.aud) && claims.aud.includes(config.client_id)),
            `id_token aud ${JSON.stringify(claims.aud)}`);
        check(claims.preferred_username === username,
            `id_token preferred_username ${claims.preferred_username}`);
        return { sub: claims.sub, sid: claims.sid };
    });

    let refreshed;
    await step('refreshTokenGrant', async () => {
        refreshed = await client.refreshTokenGrant(post, tokens.refresh_token);
        check(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
            'refresh token not rotated');
        check(refreshed.access_token !== tokens.access_token, 'same access token');
        const claims = refreshed.claims();
        check(claims && claims.sub === tokens.claims().sub, 'id_token after refresh');
        return { expires_in: refreshed.expires_in, scope: refreshed.scope };
    });

    await step('refresh_reuse', () => expectOAuthError(
        client.refreshTokenGrant(basic, tokens.refresh_token), 'invalid_grant'));

    // The reuse above killed that family: start another one for the rest.
    let sub, idToken;
    await step('password_offline', async () => {
        tokens = await client.genericGrantRequest(basic, 'password',
            { username, password, scope: 'openid profile email users:read offline_access' });
        check(tokens.refresh_expires_in === 0, `refresh_expires_in ${tokens.refresh_expires_in}`);
        check(tokens.id_token, 'no id_token');
        sub = tokens.claims().sub;
        idToken = tokens.id_token;
        return { scope: tokens.scope };
    });

    await step('offline_refreshTokenGrant', async () => {
        const again = await client.refreshTokenGrant(basic, tokens.refresh_token);
        check(again.refresh_token !== tokens.refresh_token, 'offline token not rotated');
        tokens = again;
        return { refresh_expires_in: again.refresh_expires_in };
    });

    await step('tokenIntrospection_access', async () => {
        const basicInfo = await client.tokenIntrospection(basic, tokens.access_token);
        check(basicInfo.active === true, `inactive: ${JSON.stringify(basicInfo)}`);
        check(basicInfo.client_id === config.client_id, `client_id ${basicInfo.client_id}`);
        check(basicInfo.token_type === 'Bearer', `token_type ${basicInfo.token_type}`);
        check(basicInfo.username === username, `username ${basicInfo.username}`);
        const postInfo = await client.tokenIntrospection(post, tokens.access_token,
            { token_type_hint: 'access_token' });
        check(postInfo.active === true, 'inactive with client_secret_post');
        return { sub: basicInfo.sub, exp: basicInfo.exp, scope: basicInfo.scope };
    });

    await step('tokenIntrospection_refresh', async () => {
        const info = await client.tokenIntrospection(basic, tokens.refresh_token,
            { token_type_hint: 'refresh_token' });
        check(info.active === true, `inactive: ${JSON.stringify(info)}`);
        check(info.token_type === 'Refresh', `token_type ${info.token_type}`);
        return { token_type: info.token_type };
    });

    await step('tokenIntrospection_inactive', async () => {
        const garbage = await client.tokenIntrospection(basic, 'not-a-token');
        check(garbage.active === false, `garbage active: ${JSON.stringify(garbage)}`);
        const id = await client.tokenIntrospection(basic, idToken);
        check(id.active === false, 'an ID token introspected active');
        const foreign = await client.tokenIntrospection(other, tokens.access_token);
        check(foreign.active === false, 'another client saw the token active');
        return { garbage: garbage.active, id_token: id.active, other: foreign.active };
    });

    await step('fetchUserInfo', async () => {
        const info = await client.fetchUserInfo(basic, tokens.access_token, sub);
        check(info.sub === sub, `sub ${info.sub}`);
        check(info.preferred_username === username, `username ${info.preferred_username}`);
        return { sub: info.sub, email: info.email ?? null };
    });

    await step('fetchUserInfo_id_token', () => expectBearerChallenge(
        client.fetchUserInfo(basic, idToken, client.skipSubjectCheck), 401,
        'invalid_token'));

    await step('tokenRevocation_other_client', async () => {
        await client.tokenRevocation(other, tokens.access_token);
        const info = await client.tokenIntrospection(basic, tokens.access_token);
        check(info.active === true, "another client's revocation took effect");
        return { active: info.active };
    });

    await step('tokenRevocation_access', async () => {
        await client.tokenRevocation(basic, tokens.access_token,
            { token_type_hint: 'access_token' });
        const info = await client.tokenIntrospection(basic, tokens.access_token);
        check(info.active === false, 'revoked access token still active');
        return await expectBearerChallenge(
            client.fetchUserInfo(basic, tokens.access_token, client.skipSubjectCheck), 401,
            'invalid_token');
    });

    await step('tokenRevocation_refresh', async () => {
        await client.tokenRevocation(post, tokens.refresh_token);
        const info = await client.tokenIntrospection(basic, tokens.refresh_token);
        check(info.active === false, 'revoked refresh token still active');
        return await expectOAuthError(client.refreshTokenGrant(basic, tokens.refresh_token),
            'invalid_grant');
    });

    await step('tokenRevocation_unknown', async () => {
        await client.tokenRevocation(basic, 'never-issued');
        return { ok: true };
    });

    await step('jose_key_rotation', async () => {
        check(rotation.old_kid !== rotation.new_kid, 'the rotation did not change the kid');
        const result = {};
        for (const [name, token, kid] of [['before', rotation.before, rotation.old_kid],
            ['after', rotation.after, rotation.new_kid]]) {
            const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
                issuer, audience: AUDIENCE, typ: 'at+jwt',
            });
            check(protectedHeader.kid === kid, `${name}: kid ${protectedHeader.kid}`);
            result[name] = { kid: protectedHeader.kid, alg: protectedHeader.alg,
                sub: payload.sub };
        }
        return result;
    });
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
