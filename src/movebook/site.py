"""The private site's secret and the opaque, stable slug of each patient's booklet."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRET_FILE = ".movebook-secret"
SECRET_ENV = "MOVEBOOK_SITE_SECRET"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16  # 128 bits
SLUG_BYTES = 16  # 128 bits of HMAC output: 22 URL-safe characters


class SecretError(Exception):
    """The site secret is missing, unreadable or too short."""


@dataclass(frozen=True)
class SiteSecret:
    """The key every patient's slug (and, when private, page key) is derived from."""

    value: bytes
    origin: str  # where it came from, for messages: the file or the environment variable
    created: bool = False

    def derive(self, purpose: str, profile_id: str, size: int = 32) -> bytes:
        message = f"movebook:{purpose}:{profile_id}".encode()
        return hmac.new(self.value, message, hashlib.sha256).digest()[:size]

    def slug(self, profile_id: str) -> str:
        """Opaque and stable: the same for a patient on every build, revealing nothing."""
        return _b64(self.derive("slug", profile_id, SLUG_BYTES))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str, origin: str) -> bytes:
    try:
        value = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise SecretError(f"{origin}: expected a URL-safe base64 secret") from None
    if len(value) < MIN_SECRET_BYTES:
        raise SecretError(
            f"{origin}: expected at least {MIN_SECRET_BYTES * 8} bits, got {len(value) * 8}"
        )
    return value


def site_secret(root: Path) -> SiteSecret:
    """The secret from $MOVEBOOK_SITE_SECRET, else from .movebook-secret, created on first use."""
    if text := os.environ.get(SECRET_ENV):
        return SiteSecret(_decode(text, SECRET_ENV), SECRET_ENV)
    path = root / SECRET_FILE
    if path.exists():
        return SiteSecret(_decode(path.read_text(encoding="ascii"), SECRET_FILE), SECRET_FILE)
    value = secrets.token_bytes(SECRET_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(_b64(value) + "\n")
    return SiteSecret(value, SECRET_FILE, created=True)
