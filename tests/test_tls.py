"""TLS to PostgreSQL as RDS needs it (`verify-full`), against a real server that speaks TLS.

The shared test server may not have TLS on (this machine's has not), and the embedded one is built
without OpenSSL; so this module starts a cluster of its own with the initdb/pg_ctl on PATH or of a
Debian-style install (/usr/lib/postgresql/N/bin), run as the `postgres` user when the tests run as root,
with a certificate for `localhost` signed by a CA made here.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.config import parse_database_url
from chalicelib.db import Database
from chalicelib.errors import DatabaseUnavailableError
from devtools.postgres import start_cluster


@dataclass
class TlsServer:
    port: int
    ca_file: Path

    def database(self, host: str, query: str) -> Database:
        params = parse_database_url(f"postgresql://postgres@{host}:{self.port}/postgres?{query}")
        return Database(lambda refresh: params, connect_timeout_s=5)


def _make_certificates(where: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for `localhost` it signed; returns (ca, certificate, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strattera-sync test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = where / "ca.crt", where / "server.crt", where / "server.key"
    files[0].write_bytes(ca.public_bytes(pem))
    files[1].write_bytes(certificate.public_bytes(pem))
    files[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files[2].chmod(0o600)
    return files


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    base = Path(tempfile.mkdtemp(prefix="strattera-tls-"))
    ca_file, cert_file, key_file = _make_certificates(base)
    try:
        server = start_cluster(
            {"ssl": "on", "ssl_cert_file": str(cert_file), "ssl_key_file": str(key_file)}, base=base
        )
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL with TLS to start here: {exc}")
    ca_file.chmod(0o644)
    try:
        yield TlsServer(parse_database_url(server.admin_url).port, ca_file)
    finally:
        server.stop()


def uses_tls(db: Database) -> bool:
    return bool(db.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0][0])


@pytest.mark.parametrize(
    ("host", "query", "encrypted"),
    [
        ("localhost", "sslmode=verify-full&sslrootcert={ca}", True),  # RDS: the name and the CA checked
        ("127.0.0.1", "sslmode=verify-ca&sslrootcert={ca}", True),  # the CA only
        ("127.0.0.1", "sslmode=require", True),  # encrypted, nothing verified
        ("127.0.0.1", "", True),  # libpq's default, prefer: TLS when the server offers it
        ("127.0.0.1", "sslmode=disable", False),
    ],
)
def test_each_sslmode_connects_as_libpq_would(tls_server: TlsServer, host: str, query: str, encrypted: bool):
    db = tls_server.database(host, query.format(ca=tls_server.ca_file))
    try:
        assert uses_tls(db) is encrypted
        with db.connection() as conn:  # Nagle is off over TLS too
            assert conn._usock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        db.close()


@pytest.mark.parametrize(
    ("host", "query"),
    [
        ("127.0.0.1", "sslmode=verify-full&sslrootcert={ca}"),  # a name the certificate does not carry
        ("localhost", "sslmode=verify-full"),  # a CA the client does not trust
        ("localhost", "sslmode=verify-ca"),
    ],
)
def test_verification_refuses_a_wrong_name_or_an_unknown_ca(tls_server: TlsServer, host: str, query: str):
    db = tls_server.database(host, query.format(ca=tls_server.ca_file))
    with pytest.raises(DatabaseUnavailableError) as info:
        db.run("SELECT 1")
    message = info.value.message
    assert (
        message.startswith(f"cannot connect to postgres@{host}:") and "CERTIFICATE_VERIFY_FAILED" in message
    )
    db.close()
