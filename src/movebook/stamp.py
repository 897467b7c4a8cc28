"""Which booklets are already up to date, so that a build skips them.

A booklet is a pure function of its profile, the library, the templates, the settings, the site
secret and movebook itself. A build fingerprints those inputs (SHA-256 of the files' bytes) and,
after publishing a patient, writes a stamp: the fingerprint and what the build wrote, each file
with its SHA-256, size and modification time. The next build leaves a patient alone when the
fingerprint is the same and every file the stamp lists is still in place as written: the same
size and time, or else the same bytes (a page cut short or a damaged PDF is built again). The
stamps live in output/.stamps/, beside the site, never in it: they are for this machine, not the
host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from movebook import __version__
from movebook.model import Config

STAMPS_DIR = ".stamps"
SITE_STAMP = ".site-stamp.json"  # in output/: what the site's own files were made from
PACKAGE = Path(__file__).resolve().parent
# Libraries whose output ends up in a booklet: a new version may render differently.
RENDERERS = ("babel", "jinja2", "markdown", "nh3", "segno", "weasyprint")
FORMAT = 3  # of a stamp file; a stamp in another format is ignored


@dataclass(frozen=True)
class Stamp:
    inputs: str  # the fingerprint of everything the booklet was made from
    pdf: bool  # whether the handouts were made too (not a --no-pdf build)
    # what the build wrote, relative to output/ -> its SHA-256, size and modification time
    files: Mapping[str, tuple[str, int, int]]


def shared_inputs(root: Path, config: Config, secret: bytes) -> str:
    """The fingerprint of what every patient's booklet is made from: the settings, content/,
    templates/, the clinic's logo, movebook itself (code_inputs) and the site secret (keyed,
    so the fingerprint says nothing about it)."""
    digest = hashlib.sha256(f"{code_inputs()}\n".encode())
    digest.update(hmac.new(secret, b"movebook:stamp", hashlib.sha256).digest())
    files = [root / "movebook.yaml", *_tree(root / "content"), *_tree(root / "templates")]
    if config.clinic.logo:
        files.append(root / config.clinic.logo)
    _add_files(digest, root, files)
    return digest.hexdigest()


def code_inputs() -> str:
    """The fingerprint of movebook itself: its code and theme, and the versions of the
    libraries that render (a Dask worker with other ones would make other booklets)."""
    digest = hashlib.sha256(f"movebook {__version__} stamp {FORMAT}\n".encode())
    for name in RENDERERS:
        digest.update(f"{name} {_version(name)}\n".encode())
    _add_files(digest, PACKAGE, (p for p in _tree(PACKAGE) if p.suffix != ".pyc"))
    return digest.hexdigest()


def patient_inputs(shared: str, rel: str, data: bytes) -> str:
    """The fingerprint of one patient's booklet: the shared inputs and the profile's bytes
    (as read from `rel`, profiles/<id>.yaml)."""
    digest = hashlib.sha256(shared.encode())
    digest.update(f"{rel}\0{len(data)}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def up_to_date(output: Path, profile: str, inputs: str, pdf: bool, booklet: Path) -> bool:
    """Whether the last build of this patient had these inputs, made the PDFs if they are
    wanted now, and everything it wrote is still there as it wrote it, in a booklet folder
    holding nothing else. A file of the size and modification time the stamp noted is taken
    as written (hashing every file of every booklet would cost a no-op build of 1,000
    patients seconds); any other is read, and must have the bytes the stamp noted."""
    stamp = read(output, profile)
    if stamp is None or stamp.inputs != inputs or (pdf and not stamp.pdf):
        return False
    inside = booklet.relative_to(output).as_posix() + "/"
    listed = {name.removeprefix(inside) for name in stamp.files if name.startswith(inside)}
    try:
        if listed != set(os.listdir(booklet)):
            return False
    except OSError:  # no booklet folder
        return False
    return _intact(output, stamp)


def site_up_to_date(output: Path, inputs: str) -> bool:
    """Whether the site's own files (the front page, robots.txt, the assets) were written by a
    build with these shared inputs, and are still as it wrote them: that build validated the
    library and compiled the templates these inputs are made of."""
    stamp = _read(site_stamp_path(output))
    return stamp is not None and stamp.inputs == inputs and _intact(output, stamp)


def _intact(output: Path, stamp: Stamp) -> bool:
    # Plain strings, not Paths: this runs for every file of every booklet on every build.
    for name, (digest, size, mtime) in stamp.files.items():
        path = f"{output}/{name}"
        try:
            info = os.stat(path)
        except OSError:
            return False
        if (info.st_size, info.st_mtime_ns) != (size, mtime) and _digest(path) != digest:
            return False
    return True


def read(output: Path, profile: str) -> Stamp | None:
    return _read(stamp_path(output, profile))


def _read(path: Path) -> Stamp | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        files = {
            str(name): (str(digest), int(size), int(mtime))
            for name, (digest, size, mtime) in data["files"].items()
        }
        return Stamp(str(data["inputs"]), bool(data["pdf"]), files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no stamp, or not one we wrote: build the patient again


def encode(stamp: Stamp) -> bytes:
    data = {"format": FORMAT, "inputs": stamp.inputs, "pdf": stamp.pdf, "files": stamp.files}
    return (json.dumps(data, indent=1) + "\n").encode("utf-8")


def stamp_path(output: Path, profile: str) -> Path:
    return output / STAMPS_DIR / f"{profile}.json"


def site_stamp_path(output: Path) -> Path:
    return output / SITE_STAMP


def _tree(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
    ]


def _add_files(digest: hashlib._Hash, base: Path, files: Iterable[Path]) -> None:
    """Each file's path (relative to base) and bytes, in a stable order; a missing file too."""
    for path in sorted(files):
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\0missing"
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def written(output: Path, paths: Iterable[Path]) -> dict[str, tuple[str, int, int]]:
    """Files as a stamp keeps them: path relative to output/ -> SHA-256 of the bytes, size
    and modification time."""
    files: dict[str, tuple[str, int, int]] = {}
    for name in sorted(path.relative_to(output).as_posix() for path in paths):
        path = f"{output}/{name}"
        try:
            info = os.stat(path)
        except OSError:
            files[name] = ("", -1, -1)
            continue
        files[name] = (_digest(path) or "", info.st_size, info.st_mtime_ns)
    return files


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None
