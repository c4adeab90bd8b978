"""JWT attack suite (issue 6 point 4; RFC 8725, RFC 9700 §2.2 and §4): forged, altered and
misused access tokens presented to the three places keyhold verifies a bearer token --
GET /v1/users (realm from the token's issuer), userinfo and introspection. Every one is
refused: 401 invalid_token on /v1/users and userinfo, {"active": false} on introspection.

The forgeries are built here. Where a forgery needs a valid signature to prove that the
claim check (and not a broken signature) refuses it, it is signed with the realm's own
private key, read from the database and opened with the master key the tests know
(AES-256-GCM, nonce || ciphertext || tag, the kid as associated data: src/core/aead.h).
A control case signs valid claims the same way and must pass, so the forger is right.

The table of cases and what each endpoint answered is written to build/jwt_attacks.md
(docs/SECURITY.md keeps a copy)."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                             encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import (MASTER_KEY, REPO, db_rows, describe, expect_token, jwt_claims,
                      jwt_header, unique)

PASSWORD = "jwt-attacks-Pw-0"
SCOPE = "users:read openid"
GRANTS = ["password", "refresh_token"]
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
TABLE = REPO / "build" / "jwt_attacks.md"
RESULTS = {}   # case -> (v1, userinfo, introspection) as seen


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode() if isinstance(obj, dict) else obj


# -- signatures -----------------------------------------------------------------------------

def sign_with(key, alg, data):
    """The JWS signature of data: raw r||s for ES256, PKCS#1 v1.5 / PSS for RS/PS256,
    Ed25519 for EdDSA, HMAC for HS256 (key = bytes)."""
    if alg == "HS256":
        return hmac.new(key, data, hashlib.sha256).digest()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if isinstance(key, rsa.RSAPrivateKey):
        pad = (padding.PSS(padding.MGF1(hashes.SHA256()), 32) if alg == "PS256"
               else padding.PKCS1v15())
        return key.sign(data, pad, hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise TypeError(key)


def forge(header, claims, key=None, alg=None, sig=None):
    """header.payload.signature from a header and claims (dicts, or raw bytes for JSON
    text a dict cannot hold), signed with key (alg defaults to the header's), or with
    the given raw signature bytes."""
    signing_input = f"{b64u(compact(header))}.{b64u(compact(claims))}"
    if sig is None:
        alg = alg or header["alg"]
        sig = sign_with(key, alg, signing_input.encode()) if key is not None else b""
    return f"{signing_input}.{b64u(sig)}"


def resign(text_input, key, alg="ES256"):
    """A token whose signing input is exactly text_input (e.g. non-canonical base64url),
    validly signed over those characters."""
    return f"{text_input}.{b64u(sign_with(key, alg, text_input.encode()))}"


def realm_key(server, realm):
    """The realm's signing key: kid, alg and the private key (opened with the master key)."""
    rows = db_rows(server.db, "SELECT k.kid, k.alg, k.private_enc FROM signing_keys k "
                   "JOIN realms r ON r.id = k.realm_id WHERE r.name = ?", (realm,))
    assert len(rows) == 1, rows
    kid, alg, sealed = rows[0]
    der = AESGCM(bytes.fromhex(MASTER_KEY)).decrypt(sealed[:12], sealed[12:], kid.encode())
    return SimpleNamespace(kid=kid, alg=alg,
                           key=serialization.load_der_private_key(der, password=None))


# -- the realms under attack ----------------------------------------------------------------

def make_realm(server, alg):
    realm = server.create_realm(unique("jwta"), alg=alg)
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, unique("victim"), password=PASSWORD, roles=[role])
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope=SCOPE)
    body = expect_token(server.password_grant(client, user, PASSWORD), refresh=True)
    jwk = next(k for k in server.jwks(realm)["keys"])
    return SimpleNamespace(name=realm, user=user, client=client, body=body,
                           token=body["access_token"], claims=jwt_claims(body["access_token"]),
                           header=jwt_header(body["access_token"]),
                           signing=realm_key(server, realm), jwk=jwk, alg=alg)


@pytest.fixture(scope="module")
def realms(server):
    return {alg: make_realm(server, alg) for alg in ("ES256", "RS256", "EdDSA")}


@pytest.fixture(scope="module")
def es(realms):
    return realms["ES256"]


def fresh_claims(r, **changes):
    """The genuine token's claims with changes (a value None removes the claim)."""
    claims = dict(r.claims)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def good_header(r, **changes):
    header = {"alg": r.signing.alg, "typ": "at+jwt", "kid": r.signing.kid}
    for name, value in changes.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    return header


def real_sign(r, header=None, claims=None):
    """Signed with the realm's own key: only what the case changes is wrong."""
    return forge(header or good_header(r), claims or fresh_claims(r), r.signing.key,
                 alg=r.signing.alg)


# -- what the three endpoints answer --------------------------------------------------------

def v1_users(server, token):
    return server.get("/v1/users", headers={"Authorization": f"Bearer {token}"})


def answers(server, r, token):
    return (v1_users(server, token), server.userinfo(token, realm=r.name),
            server.introspect(r.client, token))


def summary(resp, introspection=False):
    if introspection and resp.status_code == 200:
        return f"200 active:{str(resp.json().get('active')).lower()}"
    try:
        error = resp.json().get("error")
    except ValueError:
        error = None
    return f"{resp.status_code} {error}" if error else str(resp.status_code)


def expect_refused(server, r, token, case, introspection=True):
    """introspection=False: the token is one introspection rightly answers for (a refresh
    token, RFC 7662 §2.1); only the bearer endpoints must refuse it."""
    v1, info, intro = answers(server, r, token)
    RESULTS[case] = (summary(v1), summary(info), summary(intro, introspection=True))
    for resp in (v1, info):
        assert resp.status_code == 401, f"{case}: {describe(resp)}"
        assert resp.json().get("error") == "invalid_token", f"{case}: {describe(resp)}"
        assert 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", ""), \
            f"{case}: {resp.headers}"
    if not introspection:
        return
    assert intro.status_code == 200, f"{case}: {describe(intro)}"
    assert intro.json() == {"active": False}, f"{case}: {describe(intro)}"


def expect_accepted(server, r, token, case):
    v1, info, intro = answers(server, r, token)
    RESULTS[case] = (summary(v1), summary(info), summary(intro, introspection=True))
    assert v1.status_code == 200, f"{case}: {describe(v1)}"
    assert info.status_code == 200, f"{case}: {describe(info)}"
    assert intro.status_code == 200 and intro.json().get("active") is True, \
        f"{case}: {describe(intro)}"


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    if not RESULTS:
        return
    lines = ["| case | /v1/users | userinfo | introspection |", "|---|---|---|---|"]
    lines += [f"| {case} | {a} | {b} | {c} |" for case, (a, b, c) in RESULTS.items()]
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text("\n".join(lines) + "\n")


# -- controls: the genuine token and the forger's own valid token pass ----------------------

@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_controls_pass(server, realms, alg):
    r = realms[alg]
    expect_accepted(server, r, r.token, f"control: genuine {alg} token")
    expect_accepted(server, r, real_sign(r), f"control: re-signed with the {alg} realm key")
    # iat and nbf within the 60 s leeway are accepted (another instance's clock)
    now = int(time.time())
    expect_accepted(server, r, real_sign(r, claims=fresh_claims(r, iat=now + 30, nbf=now + 30)),
                    f"control: {alg} iat/nbf 30 s ahead (inside the leeway)")


# -- alg: none, HS256 with the public key, alg other than the key's --------------------------

@pytest.mark.parametrize("name", ["none", "None", "NONE", "nOnE"])
def test_alg_none(server, es, name):
    header = good_header(es, alg=name)
    unsigned = forge(header, fresh_claims(es), sig=b"")
    expect_refused(server, es, unsigned, f"alg {name}, empty signature")
    expect_refused(server, es, unsigned[:-1], f"alg {name}, no signature part")
    genuine_sig = es.token.rsplit(".", 1)[1]
    expect_refused(server, es, unsigned + genuine_sig, f"alg {name}, with a signature part")
    expect_refused(server, es, forge({"alg": name}, fresh_claims(es), sig=b""),
                   f"alg {name}, no kid nor typ")


def public_forms(r):
    pub = r.signing.key.public_key()
    pem = pub.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"PEM": pem, "PEM without newline": pem.rstrip(b"\n"), "SPKI DER": der,
            "JWK": compact(r.jwk), "JWK as published": json.dumps(r.jwk).encode()}


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_hs256_with_the_public_key(server, realms, alg):
    r = realms[alg]
    for form, secret in public_forms(r).items():
        token = forge(good_header(r, alg="HS256"), fresh_claims(r), secret)
        expect_refused(server, r, token, f"HS256 keyed with the {alg} public key ({form})")


def attacker_keys():
    return {"ES256": ec.generate_private_key(ec.SECP256R1()),
            "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "PS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "EdDSA": ed25519.Ed25519PrivateKey.generate()}


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_alg_other_than_the_keys(server, realms, alg):
    r = realms[alg]
    for other, key in attacker_keys().items():
        if other == alg:
            continue
        token = forge(good_header(r, alg=other), fresh_claims(r), key)
        expect_refused(server, r, token, f"{other} header with the {alg} kid, attacker key")
    # the realm's own signature under another alg name
    for other in ("ES384", "RS512", "PS256", "es256", "ES256K", "HS512"):
        if other == alg:
            continue
        token = forge(good_header(r, alg=other), fresh_claims(r), r.signing.key, alg=alg)
        expect_refused(server, r, token, f"{other} header, real {alg} signature")


# -- key selection and header members ---------------------------------------------------------

def test_unknown_or_missing_kid(server, es):
    attacker = ec.generate_private_key(ec.SECP256R1())
    expect_refused(server, es, real_sign(es, good_header(es, kid="no-such-kid")),
                   "unknown kid, real signature")
    expect_refused(server, es, forge(good_header(es, kid="evil"), fresh_claims(es), attacker),
                   "unknown kid, attacker key")
    expect_refused(server, es, forge(good_header(es, kid=None), fresh_claims(es), attacker),
                   "no kid, attacker key")
    expect_refused(server, es, real_sign(es, good_header(es, kid=None)),
                   "no kid, real signature")
    expect_refused(server, es, real_sign(es, good_header(es, kid=es.signing.kid + " ")),
                   "kid with a trailing space")


def attacker_jwk(key):
    nums = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "kid": "attacker",
            "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"])
def test_embedded_or_remote_key_headers(server, es, member):
    attacker = ec.generate_private_key(ec.SECP256R1())
    value = {"jwk": attacker_jwk(attacker),
             "jku": "https://attacker.example/jwks.json",
             "x5u": "https://attacker.example/cert.pem",
             "x5c": ["MIIBszCCAVmgAwIBAgIUK3Nn"],
             "x5t": b64u(b"0" * 20),
             "x5t#S256": b64u(b"0" * 32)}[member]
    for kid in ("attacker", es.signing.kid, None):
        token = forge(good_header(es, kid=kid, **{member: value}), fresh_claims(es), attacker)
        expect_refused(server, es, token, f"{member} header, attacker key, kid {kid!r}")
    token = real_sign(es, good_header(es, **{member: value}))
    expect_refused(server, es, token, f"{member} header, real signature")


def test_crit(server, es):
    for crit in (["x-unknown"], ["exp"], [], "x-unknown"):
        header = {**good_header(es), "crit": crit, "x-unknown": True}
        expect_refused(server, es, real_sign(es, header), f"crit {crit!r}, real signature")
    expect_refused(server, es, real_sign(es, {**good_header(es), "b64": False}),
                   "b64 false (RFC 7797), real signature")


# -- claims, with the realm's real signature ----------------------------------------------------

def test_time_claims(server, es):
    now = int(time.time())
    cases = {
        "expired (exp 1 s ago)": dict(exp=now - 1),
        "expired (exp = now)": dict(exp=now),
        "expired long ago": dict(exp=now - 86400, iat=now - 86700),
        "no exp": dict(exp=None),
        "exp as a string": dict(exp=str(now + 300)),
        "nbf 2 min ahead (beyond the 60 s leeway)": dict(nbf=now + 120),
        "iat 2 min ahead (beyond the 60 s leeway)": dict(iat=now + 120),
        "iat far in the future": dict(iat=2**62),
        "iat beyond int64": dict(iat=2**64),
    }
    for case, changes in cases.items():
        expect_refused(server, es, real_sign(es, claims=fresh_claims(es, **changes)), case)


def test_issuer_audience_typ(server, realms, es):
    other = realms["RS256"]
    iss = es.claims["iss"]
    for case, changes in {
        "iss of another realm": dict(iss=other.claims["iss"]),
        "iss with a trailing slash": dict(iss=iss + "/"),
        "iss in upper case": dict(iss=iss.upper()),
        "iss of a foreign server": dict(iss="https://evil.example/realms/" + es.name),
        "no iss": dict(iss=None),
        "iss as an array": dict(iss=[iss]),
        "wrong aud": dict(aud="some-other-api"),
        "wrong aud in an array": dict(aud=["some-other-api"]),
        "aud empty array": dict(aud=[]),
        "no aud": dict(aud=None),
        "no jti": dict(jti=None),
        "no client_id": dict(client_id=None),
        "sub of another user": dict(sub="00000000-0000-0000-0000-000000000000"),
    }.items():
        expect_refused(server, es, real_sign(es, claims=fresh_claims(es, **changes)), case)
    for typ in ("JWT", "jwt", "id+jwt", "application/jwt", "", "at+jwt2", None):
        token = real_sign(es, good_header(es, typ=typ) if typ is not None
                          else good_header(es, typ=None))
        expect_refused(server, es, token, f"typ {typ!r} (not at+jwt)")


# -- signature tampering --------------------------------------------------------------------

def test_payload_changed_after_signing(server, es):
    h, _, s = es.token.split(".")
    for case, changes in {"scope widened": dict(scope=es.claims["scope"] + " users:manage"),
                          "exp extended": dict(exp=es.claims["exp"] + 86400),
                          "sub changed": dict(sub="someone-else")}.items():
        token = f"{h}.{b64u(compact(fresh_claims(es, **changes)))}.{s}"
        expect_refused(server, es, token, f"payload changed after signing ({case})")
    header = b64u(compact(good_header(es, typ="AT+JWT")))
    expect_refused(server, es, f"{header}.{es.token.split('.', 1)[1]}",
                   "header changed after signing")


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_truncated_or_padded_signature(server, realms, alg):
    r = realms[alg]
    signing_input, s = r.token.rsplit(".", 1)
    sig = unb64u(s)
    for case, bad in {"truncated by one byte": sig[:-1], "half": sig[:len(sig) // 2],
                      "empty": b"", "one zero byte appended": sig + b"\0",
                      "doubled": sig + sig, "zero-padded in front": b"\0" + sig,
                      "one bit flipped": bytes([sig[0] ^ 1]) + sig[1:]}.items():
        expect_refused(server, r, f"{signing_input}.{b64u(bad)}", f"{alg} signature {case}")
    expect_refused(server, r, f"{signing_input}.{s[:-2]}", f"{alg} signature text cut by 2")


def test_psychic_signatures(server, es):
    """CVE-2022-21449: (r, s) = (0, 0) verified anything in Java 15-18; also r or s >= n."""
    signing_input, s = es.token.rsplit(".", 1)
    raw = unb64u(s)
    r_int, s_int = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    b32 = lambda v: v.to_bytes(32, "big")  # noqa: E731
    cases = {"r = s = 0": b32(0) + b32(0), "r = 0": b32(0) + b32(s_int),
             "s = 0": b32(r_int) + b32(0), "r = n": b32(P256_N) + b32(s_int),
             "s = n": b32(r_int) + b32(P256_N), "r = s = n": b32(P256_N) + b32(P256_N),
             "r + n (2^256 wraps)": b32((r_int + P256_N) % 2**256) + b32(s_int),
             "s + n": b32(r_int) + b32((s_int + P256_N) % 2**256),
             "r = 2^256 - 1": b"\xff" * 32 + b32(s_int),
             "s = n - s (malleated, still valid math)": None}
    for case, bad in cases.items():
        if bad is None:
            continue
        expect_refused(server, es, f"{signing_input}.{b64u(bad)}", f"ECDSA {case}")
    # (r, n - s) is the other valid signature of the same message: ECDSA is malleable and
    # that is no forgery (RFC 8725 does not ask for low-s); it must verify.
    expect_accepted(server, es, f"{signing_input}.{b64u(b32(r_int) + b32(P256_N - s_int))}",
                    "control: ECDSA (r, n - s), the malleated twin")
    psychic = forge({"alg": "ES256", "typ": "at+jwt", "kid": es.signing.kid},
                    fresh_claims(es, sub="admin"), sig=b"\0" * 64)
    expect_refused(server, es, psychic, "ECDSA all-zero signature on a forged payload")


def test_der_signature(server, es):
    signing_input, s = es.token.rsplit(".", 1)
    raw = unb64u(s)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    expect_refused(server, es, f"{signing_input}.{b64u(der)}", "ECDSA signature in DER")


# -- JSON and base64url encodings -------------------------------------------------------------

def test_duplicate_members(server, es):
    kid = es.signing.kid
    dup_headers = {
        "alg twice (ES256, none)": f'{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","alg":"none"}}',
        "kid twice": f'{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","kid":"{kid}"}}',
        "typ twice (at+jwt, JWT)": f'{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","typ":"JWT"}}',
    }
    for case, text in dup_headers.items():
        expect_refused(server, es, real_sign(es, text.encode()),
                       f"duplicate header member: {case}")
    body = compact(fresh_claims(es))[:-1].decode()
    for case, extra in {"sub": '"sub":"admin"', "iss": f'"iss":"{es.claims["iss"]}"',
                        "exp": f'"exp":{es.claims["exp"] + 86400}',
                        "scope": '"scope":"users:manage"'}.items():
        text = (body + "," + extra + "}").encode()
        expect_refused(server, es, real_sign(es, claims=text),
                       f"duplicate payload member: {case}")


def noncanonical_header(es):
    """A header whose standard base64 holds '+' or '/' (base64url has '-' and '_')."""
    for i in range(200):
        raw = compact({**good_header(es), "x": "?" * (i % 7) + ">" * (i // 7)})
        std = base64.b64encode(raw).rstrip(b"=").decode()
        if "+" in std or "/" in std:
            return std
    raise AssertionError("no header with + or / found")


def set_trailing_bits(part):
    """The same bytes with the unused low bits of the last character set: a lenient
    decoder decodes it to the same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {2: 4, 3: 2}[len(part) % 4]
    index = alphabet.index(part[-1])
    assert index % (1 << spare) == 0, part
    return part[:-1] + alphabet[index + 1]


def test_noncanonical_base64url(server, es):
    h = b64u(compact(good_header(es)))
    p = b64u(compact(fresh_claims(es)))
    # each is signed over exactly its characters: only the encoding is wrong
    for case, text in {
        "header padded with =": h + "=" * (-len(h) % 4 or 4),
        "payload padded with =": f"{h}.{p}" + "=" * (-len(p) % 4 or 4),
        "header in standard base64 (+ or /)": f"{noncanonical_header(es)}.{p}",
        "header with a space": f"{h[:4]} {h[4:]}.{p}",
    }.items():
        if "." not in text:
            text = f"{text}.{p}"
        expect_refused(server, es, resign(text, es.signing.key), f"non-canonical: {case}")
    signing_input, s = es.token.rsplit(".", 1)
    expect_refused(server, es, f"{signing_input}.{set_trailing_bits(s)}",
                   "non-canonical: signature with trailing bits set")
    expect_refused(server, es, f"{signing_input}.{s}==", "non-canonical: signature padded")
    std = base64.b64encode(unb64u(s)).rstrip(b"=").decode()
    if std != s:
        expect_refused(server, es, f"{signing_input}.{std}",
                       "non-canonical: signature in standard base64")
    # trailing bits in the header and payload, re-signed
    for case, text in {"header": f"{set_trailing_bits(h) if len(h) % 4 else h}.{p}",
                       "payload": f"{h}.{set_trailing_bits(p) if len(p) % 4 else p}"}.items():
        if text != f"{h}.{p}":
            expect_refused(server, es, resign(text, es.signing.key),
                           f"non-canonical: {case} with trailing bits set")


# -- size, realm, lifecycle, token kinds --------------------------------------------------------

def test_one_megabyte_token(server, es):
    big = real_sign(es, claims=fresh_claims(es, pad="A" * (1 << 20)))
    assert len(big) > 1 << 20
    v1, info, intro = answers(server, es, big)
    RESULTS["1 MB token (real signature)"] = (summary(v1), summary(info),
                                              summary(intro, introspection=True))
    # a header that large may be refused by the HTTP layer before the verifier sees it:
    # 431 (header fields too large) is a refusal too; never 200 nor a 5xx
    for resp in (v1, info):
        assert resp.status_code in (401, 431), describe(resp)
        if resp.status_code == 401:
            assert resp.json().get("error") == "invalid_token", describe(resp)
    assert intro.status_code in (200, 413), describe(intro)
    if intro.status_code == 200:
        assert intro.json() == {"active": False}, describe(intro)
    # just above the verifier's 16 KiB limit, with a valid signature
    mid = real_sign(es, claims=fresh_claims(es, pad="A" * 16384))
    expect_refused(server, es, mid, "17 KiB token (real signature, above JWS_TOKEN_MAX)")


def test_token_of_another_realm(server, realms, es):
    other = realms["RS256"]
    # a genuine token of realm B at realm A's userinfo and introspection
    info = server.userinfo(other.token, realm=es.name)
    intro = server.introspect(es.client, other.token)
    RESULTS["genuine token of another realm"] = ("200 (its own realm)", summary(info),
                                                 summary(intro, introspection=True))
    assert info.status_code == 401 and info.json().get("error") == "invalid_token", \
        describe(info)
    assert intro.status_code == 200 and intro.json() == {"active": False}, describe(intro)
    # realm B's key signing a token that claims realm A's issuer
    token = forge(good_header(other), fresh_claims(es), other.signing.key)
    expect_refused(server, es, token, "realm A's claims signed with realm B's key and kid")
    token = forge(good_header(es, alg="RS256"), fresh_claims(es), other.signing.key)
    expect_refused(server, es, token, "realm A's kid, signed with realm B's key")


def test_revoked_token(server, es):
    fresh = expect_token(server.password_grant(es.client, es.user, PASSWORD), refresh=True)
    token = fresh["access_token"]
    expect_accepted(server, es, token, "control: fresh token before revocation")
    resp = server.revoke(es.client, token, hint="access_token")
    assert resp.status_code == 200, describe(resp)
    expect_refused(server, es, token, "revoked access token (RFC 7009)")
    # re-signing the revoked token's claims does not bring it back: the jti is revoked
    expect_refused(server, es, real_sign(es, claims=jwt_claims(token)),
                   "revoked token's claims re-signed")


def test_other_token_kinds(server, es):
    fresh = expect_token(server.password_grant(es.client, es.user, PASSWORD), refresh=True)
    expect_refused(server, es, fresh["refresh_token"], "refresh token as access token",
                   introspection=False)
    assert "id_token" in fresh, fresh
    expect_refused(server, es, fresh["id_token"], "ID token as access token")
    expect_refused(server, es, es.client.secret, "client secret as access token")
