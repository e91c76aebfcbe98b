"""TLS for the HTTP API: ``baton serve`` with a certificate and key speaks HTTPS and
refuses every protocol below TLS 1.2 (the seeds' security requirement), whatever the
OpenSSL build would otherwise still accept."""

from __future__ import annotations

import ssl
from pathlib import Path

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class TlsConfigError(ValueError):
    """The certificate or key cannot be used; ``path`` names the file at fault."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def server_context(certfile: Path, keyfile: Path, password: str | None = None) -> ssl.SSLContext:
    """A server context for ``certfile``/``keyfile`` that negotiates TLS 1.2 or 1.3 only."""
    for path in (certfile, keyfile):
        if not path.is_file():
            raise TlsConfigError(f"TLS file not found: {path}", path=path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_VERSION
    try:
        context.load_cert_chain(certfile, keyfile, password)
    except (ssl.SSLError, OSError) as err:
        message = f"cannot load {certfile} with {keyfile}: {err}"
        raise TlsConfigError(message, path=certfile) from err
    return context
