"""The private site's secret and the opaque, stable slug of each patient's booklet."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_FILE = ".movebook-secret"
SECRET_ENV = "MOVEBOOK_SITE_SECRET"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16  # 128 bits
SLUG_BYTES = 16  # 128 bits of HMAC output: 22 URL-safe characters
KEY_BYTES = 32  # AES-256


class SecretError(Exception):
    """The site secret is missing, unreadable or too short."""


@dataclass(frozen=True)
class SiteSecret:
    """The key every patient's slug (and, when private, page key) is derived from."""

    value: bytes
    origin: str  # where it came from, for messages: the file or the environment variable
    created: bool = False
    ignored: tuple[str, ...] = ()  # what creating it added to the project's .gitignore

    def derive(self, purpose: str, profile_id: str, size: int = 32) -> bytes:
        message = f"movebook:{purpose}:{profile_id}".encode()
        return hmac.new(self.value, message, hashlib.sha256).digest()[:size]

    def slug(self, profile_id: str) -> str:
        """Opaque and stable: the same for a patient on every build, revealing nothing."""
        return encode(self.derive("slug", profile_id, SLUG_BYTES))

    def page_key(self, profile_id: str) -> bytes:
        """The key of every sealed file in one patient's booklet: stable, like the slug."""
        return self.derive("page-key", profile_id, KEY_BYTES)


def encode(raw: bytes) -> str:
    """URL-safe base64 without padding: the form slugs, keys and sealed data take."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    """The inverse of encode; raises ValueError on anything else."""
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode(text: str, origin: str) -> bytes:
    try:
        value = decode(text)
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
    value = secrets.token_bytes(SECRET_BYTES)
    # An OSError (a folder in its place, no permission) goes up as it is: the command line
    # reports it in one line naming the file, as it does every file it cannot read.
    if not path.exists() and _create(path, value):
        return SiteSecret(value, SECRET_FILE, created=True, ignored=_gitignore(root))
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError:
        raise SecretError(f"{SECRET_FILE}: expected a URL-safe base64 secret") from None
    return SiteSecret(_decode(text, SECRET_FILE), SECRET_FILE)


def _create(path: Path, value: bytes) -> bool:
    """Write the secret beside its place, flush it to disk, and link it into place: another
    process creating it at the same moment reads either no file or a whole one. False if that
    other process won (its secret is the one in place)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f"{SECRET_FILE}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:  # mkstemp's mode is 0600
            handle.write(encode(value) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    sync_folder(path.parent)
    return True


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a file renamed or linked into it) to disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# What a new project's .gitignore keeps out of git: the secret, and the booklets and handouts
# (readable PDFs with patients' names), which are rebuilt from the profiles anyway.
IGNORED = (SECRET_FILE, "/output/")


def _gitignore(root: Path) -> tuple[str, ...]:
    """Add to the project's .gitignore what it does not ignore yet; returns the lines added."""
    path = root / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        present = {line.strip().rstrip("*").strip("/") for line in text.splitlines()}
        added = tuple(line for line in IGNORED if line.strip("/") not in present)
        if added:
            with path.open("a", encoding="utf-8") as handle:
                if text and not text.endswith("\n"):
                    handle.write("\n")
                handle.write("".join(f"{line}\n" for line in added))
    except (OSError, UnicodeDecodeError):
        return ()  # the secret is made all the same; the message then says nothing of git
    return added


def created_message(secret: SiteSecret) -> str:
    """What a command says when it has just created the site secret."""
    message = (
        f"Created the site secret in {secret.origin} (keep it private and backed up: every "
        "patient's link depends on it)"
    )
    if secret.ignored:
        message += f" and added {' and '.join(secret.ignored)} to .gitignore"
    return message + "."


# --- sealing: what a private site writes instead of readable pages ----------------------

NONCE_BYTES = 12  # AES-GCM's standard nonce
PASSPHRASE_ITERATIONS = 600_000  # PBKDF2-SHA256, OWASP's 2023 floor
PASSPHRASE_MIN_LENGTH = 12
KEY_WRAP_LABEL = b"movebook:key"  # associated data of the passphrase-wrapped key


def _nonce(key: bytes, name: str, data: bytes) -> bytes:
    """Synthetic nonce: an HMAC of the file's name and contents under its key. Unchanged pages
    seal to unchanged bytes (quiet uploads, reproducible builds), and two different plaintexts
    never share a nonce short of an HMAC collision."""
    mac = hmac.new(key, name.encode() + b"\0" + data, hashlib.sha256)
    return mac.digest()[:NONCE_BYTES]


def seal(key: bytes, name: str, data: bytes) -> bytes:
    """AES-256-GCM, bound to the file's name so the host cannot swap one page for another:
    nonce, then ciphertext and tag."""
    nonce = _nonce(key, name, data)
    return nonce + AESGCM(key).encrypt(nonce, data, name.encode())


def unseal(key: bytes, name: str, sealed: bytes) -> bytes:
    """The inverse of seal; raises cryptography's InvalidTag on a wrong key or a changed file."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], name.encode())


def normalize_passphrase(passphrase: str) -> str:
    """What a patient types rarely matches what was written letter for letter: ignore case,
    surrounding spaces and repeated spaces (the browser does the same)."""
    return " ".join(unicodedata.normalize("NFC", passphrase).split()).lower()


@dataclass(frozen=True)
class WrappedKey:
    """A patient's page key sealed under their passphrase, for those who type instead of scan."""

    iterations: int
    salt: bytes
    sealed: bytes

    def __str__(self) -> str:
        return f"{self.iterations}.{encode(self.salt)}.{encode(self.sealed)}"


def _passphrase_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    text = normalize_passphrase(passphrase).encode()
    return hashlib.pbkdf2_hmac("sha256", text, salt, iterations, KEY_BYTES)


def wrap_key(
    secret: SiteSecret,
    profile_id: str,
    passphrase: str,
    iterations: int = PASSPHRASE_ITERATIONS,
) -> WrappedKey:
    salt = secret.derive("passphrase-salt", profile_id, 16)
    wrapping = _passphrase_key(passphrase, salt, iterations)
    key = secret.page_key(profile_id)
    return WrappedKey(iterations, salt, seal(wrapping, KEY_WRAP_LABEL.decode(), key))


def unwrap_key(wrapped: WrappedKey, passphrase: str) -> bytes:
    wrapping = _passphrase_key(passphrase, wrapped.salt, wrapped.iterations)
    return unseal(wrapping, KEY_WRAP_LABEL.decode(), wrapped.sealed)


def private_url(base_url: str | None, slug: str, key: bytes | None) -> str:
    """A patient's link: the base URL (or a site-relative path), their folder, and, for a
    private site, the key in the fragment, which browsers never send to the server."""
    path = f"p/{slug}/"
    url = base_url.rstrip("/") + "/" + path if base_url else "/" + path
    return url + (f"#k={encode(key)}" if key is not None else "")


SEALED_PAGE = re.compile(
    r'<script type="application/octet-stream" id="sealed" data-page="([^"]+)"[^>]*>([^<]*)</script>'
)


def read_sealed_page(html: str, key: bytes) -> str:
    """The booklet page inside a sealed loader page, as the browser would show it (for tests
    and tools; raises ValueError if this is not a sealed page, InvalidTag on a wrong key)."""
    match = SEALED_PAGE.search(html)
    if match is None:
        raise ValueError("not a sealed movebook page")
    return unseal(key, match[1], decode(match[2])).decode("utf-8")
