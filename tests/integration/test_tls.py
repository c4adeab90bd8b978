"""TLS (issue 6, point 3): `serve --tls-cert/--tls-key` speaks TLS 1.2 and 1.3 only, with
AEAD ciphers and forward secrecy; SIGHUP loads a new certificate for new connections without
closing the listener, and a bad one keeps the old; plain HTTP is refused on a non-loopback
address unless --insecure-http.

The test makes its own CA and server certificates with the `openssl` command line. Refusals
of old protocols and weak ciphers are shown with a client that does offer them: the same
client settings succeed against a small Python TLS server that allows them (`lenient`)."""

import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import (BIN, HTTP_TIMEOUT, KeyholdServer, clean_env, expect_token, free_port,
                      jwt_claims, wait_until)

CURL_TIMEOUT = 30
# The clients offer TLS 1.0/1.1 on purpose, to show that keyhold refuses them.
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                   timeout=60)


def make_ca(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=keyhold test CA",
            cwd=d)
    (d / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    return d / "ca.pem"


def make_cert(d, name, serial, cn):
    """A P-256 server certificate for 127.0.0.1 signed by the CA: (cert path, key path)."""
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", str(serial), "-days", "2", "-extfile", "san.cnf",
            "-out", f"{name}.pem", cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d)
    first = make_cert(d, "first", 1001, "keyhold-first")
    second = make_cert(d, "second", 2002, "keyhold-second")
    return d, ca, first, second


@pytest.fixture(scope="module")
def tls(pki, tmp_path_factory):
    """A TLS server whose public URL is left to its default (https://ADDR:PORT); its
    certificate and key files are copies that the reload tests overwrite."""
    d, ca, first, _ = pki
    cert, key = d / "live.pem", d / "live.key"
    cert.write_bytes(first[0].read_bytes())
    key.write_bytes(first[1].read_bytes())
    srv = KeyholdServer(tmp_path_factory.mktemp("keyhold-tls"))
    srv.base = f"https://127.0.0.1:{srv.port}"
    old = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca)   # every requests call of the helpers
    try:
        srv.start(options_from_env=True, extra_env={"KEYHOLD_PUBLIC_URL": ""},
                  extra_args=["--tls-cert", cert, "--tls-key", key])
        srv.ca, srv.cert, srv.key = ca, cert, key
        yield srv
        srv.stop()
    finally:
        srv.kill()
        if old is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = old


@pytest.fixture(scope="module")
def lenient(pki):
    """A Python TLS server that accepts TLS 1.0 to 1.3 and CBC ciphers (security level 0),
    answering one byte per connection: proof that the clients below do offer what keyhold
    refuses."""
    d, _, first, _ = pki
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.load_cert_chain(first[0], first[1])
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            try:
                with ctx.wrap_socket(conn, server_side=True) as s:
                    s.settimeout(5)
                    s.recv(4096)
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except (OSError, ssl.SSLError):
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join()
    sock.close()


def client_ctx(ca, max_version=None, ciphers=None):
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    if max_version:
        ctx.maximum_version = max_version
    ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    return ctx


def handshake(port, ctx):
    """(protocol version, cipher name, peer certificate dict) of one TLS handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.version(), s.cipher()[0], s.getpeercert()


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", str(CURL_TIMEOUT), *map(str, args)],
                          capture_output=True, text=True, timeout=CURL_TIMEOUT + 10)


def serial_of(srv):
    return handshake(srv.port, client_ctx(srv.ca))[2]["serialNumber"]


# -- grants over TLS -----------------------------------------------------------------------------

def test_token_grant_with_requests(tls):
    client = tls.create_client("main", ["client_credentials"])
    resp = requests.post(tls.token_url(), data={"grant_type": "client_credentials"},
                         auth=(client.client_id, client.secret), verify=str(tls.ca),
                         timeout=HTTP_TIMEOUT)
    body = expect_token(resp, refresh=False)
    assert jwt_claims(body["access_token"])["iss"] == f"https://127.0.0.1:{tls.port}/realms/main"


def test_token_grant_with_curl(tls):
    client = tls.create_client("main", ["client_credentials"])
    res = curl("--cacert", tls.ca, "-u", f"{client.client_id}:{client.secret}",
               "-d", "grant_type=client_credentials", "-w", "\n%{http_code}", tls.token_url())
    assert res.returncode == 0, res.stderr
    body, status = res.stdout.rsplit("\n", 1)
    assert status == "200", res.stdout
    assert '"access_token"' in body


def test_discovery_issuer_is_https_by_default(tls):
    doc = requests.get(tls.discovery_url(), timeout=HTTP_TIMEOUT).json()
    assert doc["issuer"] == f"https://127.0.0.1:{tls.port}/realms/main"
    assert doc["token_endpoint"].startswith("https://")


def test_plain_http_on_the_tls_port_gets_no_answer(tls):
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{tls.port}/healthz", timeout=HTTP_TIMEOUT)


# -- protocol versions and ciphers ---------------------------------------------------------------

@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_accepted(tls, version):
    ctx = client_ctx(tls.ca, max_version=version)
    ctx.minimum_version = version
    got, cipher, _ = handshake(tls.port, ctx)
    assert got == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
    assert "GCM" in cipher or "CHACHA20" in cipher, cipher


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_1_0_and_1_1_refused_python(tls, lenient, version):
    ctx = client_ctx(tls.ca, max_version=version)
    assert handshake(lenient, ctx)[0] in ("TLSv1", "TLSv1.1")   # the client offers it
    with pytest.raises(ssl.SSLError):
        handshake(tls.port, ctx)


def test_tls_1_1_refused_curl(tls, lenient):
    args = ["--cacert", tls.ca, "--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0",
            "-o", "/dev/null", "-w", "%{http_code}"]
    offered = curl(*args, f"https://127.0.0.1:{lenient}/")
    assert offered.returncode == 0 and offered.stdout == "200", offered.stderr
    refused = curl(*args, f"https://127.0.0.1:{tls.port}/healthz")
    assert refused.returncode != 0, refused.stdout
    assert refused.stdout in ("", "000")


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                                    "ECDHE-ECDSA-AES128-SHA256"])
def test_cbc_ciphers_refused(tls, lenient, cipher):
    ctx = client_ctx(tls.ca, max_version=ssl.TLSVersion.TLSv1_2, ciphers=cipher + ":@SECLEVEL=0")
    assert handshake(lenient, ctx)[1] == cipher                  # the client offers it
    with pytest.raises(ssl.SSLError):
        handshake(tls.port, ctx)


def test_aead_cipher_of_tls_1_2_accepted(tls):
    ctx = client_ctx(tls.ca, max_version=ssl.TLSVersion.TLSv1_2,
                     ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
    assert handshake(tls.port, ctx)[:2] == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")


# -- reload on SIGHUP (these run last: they change the certificate) ------------------------------

def sighup_and_wait(srv, event, count_before):
    srv.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: srv.stderr().count(f'"event":"{event}"') > count_before, 20,
               f"the server logs {event}")


def test_sighup_serves_the_new_certificate_without_restart(tls, pki):
    _, _, first, second = pki
    assert serial_of(tls) == "03E9"                           # 1001
    # A connection opened before the reload, kept alive across it.
    before = handshake_keepalive(tls)
    pid = tls.proc.pid
    stop = threading.Event()
    refused = []

    def keep_connecting():                                   # the listener never goes away
        while not stop.is_set():
            try:
                handshake(tls.port, client_ctx(tls.ca))
            except (OSError, ssl.SSLError) as e:
                refused.append(repr(e))

    prober = threading.Thread(target=keep_connecting)
    prober.start()
    try:
        tls.cert.write_bytes(second[0].read_bytes())
        tls.key.write_bytes(second[1].read_bytes())
        sighup_and_wait(tls, "tls_reloaded", tls.stderr().count('"event":"tls_reloaded"'))
    finally:
        stop.set()
        prober.join()
    assert not refused, refused[:3]
    assert tls.proc.pid == pid and tls.proc.poll() is None
    version, _, cert = handshake(tls.port, client_ctx(tls.ca))
    assert cert["serialNumber"] == "07D2"                     # 2002
    assert ((("commonName", "keyhold-second"),),) == cert["subject"]
    # The connection from before still works, with the certificate it was opened with.
    assert keepalive_request(before) == 200
    before.close()
    client = tls.create_client("main", ["client_credentials"])
    expect_token(tls.client_credentials(client), refresh=False)


def handshake_keepalive(srv):
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=HTTP_TIMEOUT)
    s = client_ctx(srv.ca).wrap_socket(raw, server_hostname="127.0.0.1")
    assert keepalive_request(s) == 200
    return s


def keepalive_request(s):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(rest) < length:
        rest += s.recv(4096)
    return int(head.split(b" ")[1])


@pytest.mark.parametrize("broken", ["garbage", "key_of_another", "missing"])
def test_bad_certificate_on_sighup_keeps_the_old(tls, pki, broken):
    _, _, first, _ = pki
    serial = serial_of(tls)
    cert_bytes, key_bytes = tls.cert.read_bytes(), tls.key.read_bytes()
    try:
        if broken == "garbage":
            tls.cert.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        elif broken == "key_of_another":
            tls.key.write_bytes(first[1].read_bytes())     # the cert stays: they do not match
        else:
            tls.cert.unlink()
        sighup_and_wait(tls, "tls_reload_failed",
                        tls.stderr().count('"event":"tls_reload_failed"'))
        assert serial_of(tls) == serial
        client = tls.create_client("main", ["client_credentials"])
        expect_token(tls.client_credentials(client), refresh=False)
        line = [ln for ln in tls.stderr().splitlines() if "tls_reload_failed" in ln][-1]
        assert '"level":"error"' in line and "kept" in line
        assert "PRIVATE KEY" not in tls.stderr()
    finally:
        tls.cert.write_bytes(cert_bytes)
        tls.key.write_bytes(key_bytes)


# -- plain HTTP only on loopback -----------------------------------------------------------------

def serve_argv(tmp_path, listen, *extra):
    return [BIN, "serve", "--listen", listen, "--db", str(tmp_path / "k.db"), *extra]


def serve_env():
    env = clean_env()
    env.update({"KEYHOLD_ADMIN_PASSWORD": "Adm1n-tls-pw",
                "KEYHOLD_MASTER_KEY": "00112233445566778899aabbccddeeff" * 2})
    return env


def test_plain_http_refused_on_a_non_loopback_address(tmp_path):
    port = free_port()
    res = subprocess.run(serve_argv(tmp_path, f"0.0.0.0:{port}"), capture_output=True,
                         text=True, env=serve_env(), timeout=60)
    assert res.returncode == 1, res
    assert "refusing plain HTTP on 0.0.0.0" in res.stderr
    assert "--tls-cert" in res.stderr and "--insecure-http" in res.stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=HTTP_TIMEOUT)


def test_insecure_http_allows_plain_http_on_a_non_loopback_address(tmp_path):
    port = free_port()
    proc = subprocess.Popen(serve_argv(tmp_path, f"0.0.0.0:{port}", "--insecure-http"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=serve_env())
    try:
        def up():
            assert proc.poll() is None, proc.stderr.read()
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
            except requests.RequestException:
                return False
        wait_until(up, 20, "the server answers plain HTTP")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        proc.stderr.close()


def test_tls_allowed_on_a_non_loopback_address(tmp_path, pki):
    _, ca, first, _ = pki
    port = free_port()
    proc = subprocess.Popen(serve_argv(tmp_path, f"0.0.0.0:{port}", "--tls-cert", first[0],
                                       "--tls-key", first[1]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=serve_env())
    try:
        def up():
            assert proc.poll() is None, proc.stderr.read()
            try:
                return requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(ca),
                                    timeout=2).ok
            except requests.RequestException:
                return False
        wait_until(up, 20, "the server answers HTTPS")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        proc.stderr.close()
