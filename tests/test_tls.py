"""``baton serve`` with a certificate and key: HTTPS that refuses every protocol below
TLS 1.2. The certificate is generated here; the server is a real ``baton serve``
process; a control server shows that this machine's OpenSSL still speaks TLS 1.1 when
a server allows it. (Python 3.10+ already defaults a server context to TLS 1.2 at
least; ``core.tls`` sets the floor explicitly so that no build, embedding or OpenSSL
configuration with a lower default can weaken it.)"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.testing import WorkflowEnvironment

from core.tls import MINIMUM_VERSION, TlsConfigError, server_context
from tests.support.ports import free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def _client(certfile: Path, version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that speaks exactly ``version`` (ciphers opened up so that TLS 1.1 is
    offered at all) and trusts the test certificate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_verify_locations(certfile)
    return context


def _handshake(port: int, context: ssl.SSLContext) -> str | None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.version()


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("baton serve did not listen")


@pytest.fixture
def https_api(
    certificate: tuple[Path, Path], temporal_env: WorkflowEnvironment, tmp_path: Path
) -> Iterator[int]:
    certfile, keyfile = certificate
    port = free_port()
    env = {
        **os.environ,
        "BATON_ENV": "dev",
        "BATON_API_PORT": str(port),
        "BATON_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/baton.db",
        "BATON_TLS_CERTFILE": str(certfile),
        "BATON_TLS_KEYFILE": str(keyfile),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "baton.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(15)
        if proc.stderr:
            proc.stderr.close()


def test_https_speaks_tls_1_2_and_up_and_refuses_tls_1_1(
    https_api: int, certificate: tuple[Path, Path]
) -> None:
    certfile, _ = certificate
    trust = ssl.create_default_context(cafile=str(certfile))
    answer = httpx.get(f"https://127.0.0.1:{https_api}/health", verify=trust)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert _handshake(https_api, _client(certfile, ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"
    assert _handshake(https_api, _client(certfile, ssl.TLSVersion.TLSv1_3)) == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        _handshake(https_api, _client(certfile, ssl.TLSVersion.TLSv1_1))
    with pytest.raises(httpx.HTTPError):  # no plain HTTP on the TLS port
        httpx.get(f"http://127.0.0.1:{https_api}/health")


def test_this_openssl_still_speaks_tls_1_1(certificate: tuple[Path, Path]) -> None:
    """The control: a server that allows TLS 1.1 gets it from the same client, so the
    refusal above comes from Baton's minimum version."""
    certfile, keyfile = certificate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lenient = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        lenient.minimum_version = ssl.TLSVersion.TLSv1_1
    lenient.set_ciphers("DEFAULT:@SECLEVEL=0")
    lenient.load_cert_chain(certfile, keyfile)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_one() -> None:
        conn, _ = listener.accept()
        try:
            lenient.wrap_socket(conn, server_side=True).close()
        except ssl.SSLError:
            conn.close()

    server = threading.Thread(target=accept_one, daemon=True)
    server.start()
    try:
        version = _handshake(port, _client(certfile, ssl.TLSVersion.TLSv1_1))
    except ssl.SSLError as err:
        pytest.skip(f"this OpenSSL cannot speak TLS 1.1 at all ({err})")
    finally:
        server.join(10)
        listener.close()
    assert version == "TLSv1.1"


def test_bad_tls_configuration_is_a_clear_error(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    certfile, keyfile = certificate
    assert server_context(certfile, keyfile).minimum_version is MINIMUM_VERSION
    with pytest.raises(TlsConfigError) as missing:
        server_context(tmp_path / "nope.pem", keyfile)
    assert missing.value.path == tmp_path / "nope.pem"
    with pytest.raises(TlsConfigError):
        server_context(keyfile, certfile)  # swapped: not a certificate
    only_cert = subprocess.run(
        [sys.executable, "-m", "baton.cli", "serve", "--certfile", str(certfile)],
        capture_output=True,
        env={**os.environ, "BATON_TLS_KEYFILE": "", "BATON_TLS_CERTFILE": ""},
        timeout=60,
    )
    assert only_cert.returncode == 1
    assert b"both a certificate and a key" in only_cert.stderr
