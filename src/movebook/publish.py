"""Stage 5, publish: render each patient's booklet and write it into output/, atomically."""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import hmac
import multiprocessing
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import jinja2

from movebook import stamp
from movebook.errors import Problem, ProjectError, did_you_mean, os_culprit, shown_path
from movebook.load import (
    MAX_YAML_BYTES,
    PROFILES_DIR,
    RawProject,
    Source,
    file_bytes,
    load_profile_sources,
    load_project_sources,
    load_yaml_file,
)
from movebook.model import Config, Library, Profile
from movebook.render import (
    HANDOUT,
    check_templates,
    handout_file,
    rename_pages,
    render_booklet,
    render_error,
    render_pdf,
    render_sealed_page,
    render_site_index,
    site_assets,
    template_position,
    untranslated_warnings,
)
from movebook.site import (
    SECRET_ENV,
    SECRET_FILE,
    SiteSecret,
    encode,
    private_url,
    seal,
    site_secret,
    sync_folder,
    wrap_key,
)
from movebook.validate import (
    Report,
    build_context,
    validate_config,
    validate_profiles,
    validate_project,
)

if TYPE_CHECKING:
    from movebook.cluster import Cluster

OUTPUT_DIR = "output"
SITE_DIR = "site"
PDF_DIR = "pdf"
PATIENTS_DIR = "p"
SEALED = ".sealed"  # suffix of a sealed file that is not a page (the handout)
STAGING = ".staging-"  # prefix of half-built folders; a later build sweeps them away
RETIRED = ".old"  # .staging-<slug>.old: a booklet moved aside for its successor
WAITING = "waiting for another build of this project to finish…"


@dataclass(frozen=True)
class Outcome:
    """What happened to one patient's booklet."""

    profile: str
    problems: tuple[str, ...] = ()
    pdf: Path | None = None
    unchanged: bool = False  # nothing it is made from changed since the last build: left alone

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class BuildResult:
    secret: SiteSecret
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the whole build, once
    removed: int = 0  # booklets of profiles that no longer exist, taken off the site

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


@dataclass(frozen=True)
class Rendered:
    assessment_date: str  # the latest assessment's: its handout's name in output/pdf/
    pdf: bytes | None  # the clinician's copy, for output/pdf/
    files: Mapping[str, bytes]  # the patient's site folder: pages and handout, sealed if private
    sealed: bool
    earlier_pdfs: Mapping[str, bytes] = field(default_factory=dict)  # date -> PDF, if missing


def render_patient(
    root: Path,
    config: Config,
    library: Library,
    profile: Profile,
    pdf: bool,
    secret: SiteSecret,
    kept: Mapping[str, bytes],
) -> Rendered:
    """Everything one patient gets, in memory. `kept` holds the earlier handouts the build
    found in output/pdf/ (date -> PDF); nothing else is read but the templates and the logo
    under `root`, so this runs as well in a worker process or on a machine without output/."""
    site = config.site
    key = secret.page_key(profile.id) if site.private else None
    # A QR code needs an absolute link; without site.base_url the handout goes without.
    link = private_url(site.base_url, secret.slug(profile.id), key) if site.base_url else None
    # Every assessment keeps its handout as issued: earlier ones are made once, if missing.
    missing = [str(a.date) for a in profile.assessments[:-1] if pdf and str(a.date) not in kept]
    booklet = render_booklet(root, config, library, profile, link=link, earlier_handouts=missing)
    handout = render_pdf(booklet, config, root) if pdf else None
    earlier = {
        date: render_pdf(booklet, config, root, handout=html)
        for date, html in booklet.earlier_handouts.items()
    }
    # Each booklet links to its own handout; None for one not made (built with --no-pdf).
    handouts: dict[str, bytes | None] = {HANDOUT: handout}
    for assessment in profile.assessments[:-1]:
        date = str(assessment.date)
        if f"{date}-index.html" not in booklet.pages:
            continue  # no earlier booklet (the patient was told to stop), so no handout either
        handouts[handout_file(date, current=False)] = earlier.get(date, kept.get(date))
    if key is not None:
        files = seal_folder(
            root, config, booklet.language, booklet.pages, handouts, key, secret, profile
        )
    else:
        files = {name: html.encode("utf-8") for name, html in booklet.pages.items()}
        files.update((name, data) for name, data in handouts.items() if data is not None)
    return Rendered(
        booklet.assessment_date, handout, files, sealed=key is not None, earlier_pdfs=earlier
    )


def kept_handouts(root: Path, profile: Profile) -> dict[str, bytes]:
    """The handouts of a patient's earlier assessments already in output/pdf/, by date: read
    here, by the build, never where the patient is rendered (a worker has no output/)."""
    folder = root / OUTPUT_DIR / PDF_DIR / profile.id
    kept: dict[str, bytes] = {}
    for assessment in profile.assessments[:-1]:
        path = folder / f"{assessment.date}.pdf"
        if path.is_file():
            kept[str(assessment.date)] = path.read_bytes()
    return kept


def seal_folder(
    root: Path,
    config: Config,
    language: str,
    pages: Mapping[str, str],
    handouts: Mapping[str, bytes | None],
    key: bytes,
    secret: SiteSecret,
    profile: Profile,
) -> dict[str, bytes]:
    """A private booklet as the host will see it: each page a loader around its sealed self,
    under an opaque name (file names like exercise-bird-dog.html would tell the host what the
    patient does), and each handout sealed whole. Nothing about the patient stays readable."""
    wrapped = str(wrap_key(secret, profile.id, profile.passphrase)) if profile.passphrase else None
    names = {name: opaque_name(key, name) for name in [*pages, *handouts]}
    renamed = rename_pages(pages, names)
    sealed: dict[str, bytes] = {}
    for name, html in renamed.items():
        payload = encode(seal(key, name, html.encode("utf-8")))
        page = render_sealed_page(root, config, language, name, payload, wrapped)
        sealed[name] = page.encode("utf-8")
    for name, data in handouts.items():  # unlock.js fetches name + SEALED, opens it as `name`
        if data is not None:
            sealed[names[name] + SEALED] = seal(key, names[name], data)
    return sealed


def opaque_name(key: bytes, name: str) -> str:
    """A page's file name on a private site: stable (bookmarks keep working), meaningless to
    anyone without the key, and without the visit dates in earlier booklets' names. The front
    page stays index.html, the folder's default, and the current handout handout.pdf."""
    if name in ("index.html", HANDOUT):
        return name
    digest = hmac.new(key, f"movebook:page:{name}".encode(), hashlib.sha256).digest()
    return digest[:10].hex() + Path(name).suffix


class Publisher:
    """Writes into one project's output/, never outside it, one patient at a time. Every file is
    on disk (flushed, and its folder after the rename) before a later step relies on it: a
    patient's handouts and booklet before their stamp."""

    def __init__(self, root: Path) -> None:
        self.output = (root / OUTPUT_DIR).resolve()
        self.site = self.output / SITE_DIR
        self.patients = self.site / PATIENTS_DIR
        self.pdfs = self.output / PDF_DIR
        self._unsynced: set[Path] = set()  # folders with entries renamed in but not flushed

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.output):
            raise ValueError(f"refusing to write outside {self.output}: {path}")
        return resolved

    @contextmanager
    def lock(self, on_wait: Callable[[str], None] | None = None) -> Iterator[Publisher]:
        """Hold the project's build lock: one build at a time, or one's sweep would delete the
        other's half-written booklet. Waits (saying so) while another build holds it. The lock
        is taken on the project folder itself, so a build that stops early (a typo in the
        library) leaves nothing behind, not even an output/ folder holding a lock file."""
        descriptor = os.open(self.output.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(WAITING)
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield self
        finally:
            os.close(descriptor)  # and with it the lock, as when the process dies

    def sweep(self) -> None:
        """Undo what a killed build left half-done: put back a booklet it had moved aside for a
        new one it never moved in, and remove every staging folder and half-written file in
        output/. Finished booklets and files are untouched, and not even looked into: a
        booklet's folder is renamed in whole, so nothing half-written is ever inside one (and
        1,000 of them hold 40,000 files)."""
        if self.patients.is_dir():
            for retired in self.patients.glob(f"{STAGING}*{RETIRED}"):
                target = self.patients / retired.name.removeprefix(STAGING).removesuffix(RETIRED)
                if not target.exists():
                    retired.rename(target)
        patients = str(self.patients)
        for folder, subfolders, names in os.walk(self.output):
            for name in [*subfolders, *names]:
                if name.startswith(STAGING):
                    _remove(Path(folder, name))
            subfolders[:] = [] if folder == patients else [
                name for name in subfolders if not name.startswith(STAGING)
            ]  # fmt: skip

    def write_stamp(self, profile: Profile, slug: str, inputs: str, pdf: bool) -> None:
        """Note what this patient's booklet was just made from and what it wrote (the stamp is
        written last: a build interrupted before it builds the patient again)."""
        files = [p for p in (self.patients / slug).iterdir() if p.is_file()]
        if pdf:
            files += [self.pdfs / profile.id / f"{a.date}.pdf" for a in profile.assessments]
        record = stamp.Stamp(inputs, pdf, stamp.written(self.output, files))
        self.write_file(stamp.stamp_path(self.output, profile.id), stamp.encode(record))
        self.sync()

    def write_site_stamp(self, inputs: str, names: Sequence[str]) -> None:
        """Note what the site's own files were just made from (see stamp.site_up_to_date)."""
        files = stamp.written(self.output, [self.site / name for name in names])
        self.write_file(
            stamp.site_stamp_path(self.output), stamp.encode(stamp.Stamp(inputs, False, files))
        )
        self.sync()

    def prune(self, keep: set[str], profiles: set[str]) -> int:
        """Take down the booklets no profile leads to any more: a patient whose profile was
        deleted, or every old link after the site secret changed. Their stamps go too."""
        stamps = self.output / stamp.STAMPS_DIR
        if stamps.is_dir():
            for path in stamps.glob("*.json"):
                if path.stem not in profiles and path.is_file():
                    path.unlink()
        removed = 0
        if self.patients.is_dir():
            for folder in self.patients.iterdir():
                # p/ holds booklet folders; anything else (a .DS_Store) is no booklet: left alone
                if folder.name in keep or folder.name.startswith(STAGING) or not folder.is_dir():
                    continue
                shutil.rmtree(self._inside(folder))
                removed += 1
        return removed

    def write_file(self, path: Path, data: bytes) -> None:
        """Write to a temporary file beside the target, flush it, then rename it into place
        (sync() flushes the folder). A file that already holds these bytes is left alone, so an
        unchanged file keeps its time and a sync does not upload it again."""
        path = self._inside(path)
        if _holds(path, data):
            return
        self._folder(path.parent)
        handle, temporary = tempfile.mkstemp(prefix=STAGING, dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                _flushed(stream, data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError) and error.filename is None:
                error.filename = str(path)  # a full disk names no file
            raise
        self._unsynced.add(path.parent)

    def _folder(self, folder: Path) -> None:
        """Make a folder and any missing above it; their parents then need flushing too."""
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for created in reversed(missing):
            created.mkdir(exist_ok=True)
            self._unsynced.add(created.parent)

    def sync(self) -> None:
        """Flush every folder a file was renamed into since the last sync, each once."""
        for folder in sorted(self._unsynced, key=lambda path: len(path.parts), reverse=True):
            sync_folder(folder)
        self._unsynced.clear()

    def site_files(self, files: Mapping[str, str], assets: Mapping[str, Path]) -> None:
        for name, text in files.items():
            self.write_file(self.site / name, text.encode("utf-8"))
        for name, source in assets.items():
            self.write_file(self.site / name, source.read_bytes())
        self.sync()

    def patient(self, profile: str, slug: str, rendered: Rendered) -> Path | None:
        """Swap in a patient's new booklet whole: the old one stays until the new one is
        complete and on disk. A build killed mid-swap leaves the old one moved aside under a
        name the next sweep puts back; anything else it leaves is a staging folder to sweep."""
        pdf_path = None
        if rendered.pdf is not None:
            pdf_path = self.pdfs / profile / f"{rendered.assessment_date}.pdf"
            self.write_file(pdf_path, rendered.pdf)
        for date, data in rendered.earlier_pdfs.items():
            self.write_file(self.pdfs / profile / f"{date}.pdf", data)
        target = self._inside(self.patients / slug)
        self._folder(self.patients)
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.patients))
        retired = self.patients / f"{STAGING}{slug}{RETIRED}"
        try:
            for name, data in rendered.files.items():
                with (staging / name).open("wb") as stream:
                    _flushed(stream, data)
            # --no-pdf keeps the last handout, but never a readable one on a private site
            kept = HANDOUT + SEALED if rendered.sealed else HANDOUT
            if rendered.pdf is None and (target / kept).is_file():
                with (staging / kept).open("wb") as stream:
                    _flushed(stream, (target / kept).read_bytes())
                shutil.copystat(target / kept, staging / kept)
            staging.chmod(0o755)
            sync_folder(staging)
            if target.exists():
                target.rename(retired)
            staging.rename(target)
        except BaseException:
            if retired.exists() and not target.exists():
                retired.rename(target)
            with suppress(OSError):  # the next build's sweep tries again
                _remove(staging)
            raise
        self._unsynced.add(self.patients)
        self.sync()
        _remove(retired)
        return pdf_path


def _flushed(stream: BinaryIO, data: bytes) -> None:
    """Write and flush to disk: one fsync per file, before the rename that publishes it."""
    stream.write(data)
    stream.flush()
    os.fsync(stream.fileno())


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _remove(path: Path) -> None:
    """Delete a file or folder a build wrote, even a folder made read-only since (its entries
    cannot be deleted otherwise, and a leftover would be published with the site)."""
    if not path.is_dir() or path.is_symlink():
        path.unlink(missing_ok=True)
        return
    for folder, _, _ in os.walk(path):
        os.chmod(folder, 0o755)
    shutil.rmtree(path)


def _select(known: Sequence[str], wanted: Sequence[str]) -> list[str]:
    known = sorted(set(known))
    missing = [name for name in wanted if name not in known]
    if missing:
        raise ProjectError(
            [
                Problem(
                    f"{PROFILES_DIR}/{name}.yaml",
                    0,
                    "",
                    f"no such profile{did_you_mean(name, known)}",
                )
                for name in missing
            ]
        )
    return list(dict.fromkeys(wanted)) if wanted else known


def build(
    root: Path,
    wanted: Sequence[str] = (),
    *,
    pdf: bool = True,
    jobs: int = 1,
    force: bool = False,
    scheduler: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build every profile (or the named ones). A broken profile fails alone; a broken library,
    config or template stops the build before anything is written. A patient whose inputs have
    not changed since the last build is left as it is, unless `force`. Another build of the
    project under way (another command, the preview) is waited for: `on_wait` hears of it.

    With a `scheduler` (a Dask scheduler's address, or `local`; else build.scheduler in
    movebook.yaml) the patients are rendered on that Dask cluster, and published here;
    `HERE` renders them on this machine whatever the setting says (the preview)."""
    with Publisher(root).lock(on_wait) as publisher:
        return _build(publisher, root, wanted, pdf, jobs, force, scheduler, on_start, on_done)


HERE = ""  # build's scheduler: this machine's processes, whatever build.scheduler says


class ClusterError(Exception):
    """The Dask scheduler a build names cannot be reached, or was lost: one line."""


def _build(
    publisher: Publisher,
    root: Path,
    wanted: Sequence[str],
    pdf: bool,
    jobs: int,
    force: bool,
    scheduler: str | None,
    on_start: Callable[[int], None] | None,
    on_done: Callable[[Outcome], None] | None,
) -> BuildResult:
    raw = load_project_sources(root, profiles=False)
    listed: dict[str, Path] = {}  # profiles/<id>.yaml -> its file, read below if need be

    def later(path: Path, rel: str) -> Source:
        listed[rel] = path
        return Source(rel)

    lookalikes = [source for source in load_profile_sources(root, later) if source.problems]
    known = [Path(rel).stem for rel in [*listed, *(source.path for source in lookalikes)]]
    odd = {Path(source.path).stem for source in lookalikes}
    survey = None if force or odd else _nothing_to_do(publisher, raw, listed, known, wanted, pdf)
    if survey is not None:  # everything as the last build left it: nothing validated again
        publisher.sweep()
        return _finish(publisher, survey, None, {}, {}, wanted, pdf, jobs, None, on_start, on_done)

    config, library, _, report = validate_project(raw)
    if report.problems or config is None or library is None:
        raise ProjectError(report.problems)
    names = _select(known, wanted)
    secret = site_secret(root) if _has_secret(root) else None
    common = stamp.shared_inputs(root, config, secret.value) if secret else ""
    fresh = secret is not None and not force and stamp.site_up_to_date(publisher.output, common)
    if not fresh:
        check_templates(root)
    if secret is None:
        secret = site_secret(root)  # made now, once nothing can stop the build
        common = stamp.shared_inputs(root, config, secret.value)
    publisher.sweep()
    survey = _survey(root, publisher, config, secret, common, fresh, listed, names, odd, pdf, force)
    changed = [load_yaml_file(listed[rel], rel) for rel in survey.changed]
    profiles = validate_profiles(changed, build_context(raw), config, library, report)
    broken: dict[str, list[str]] = {}
    for problem in sorted([*report.problems, *(p for s in lookalikes for p in s.problems)]):
        broken.setdefault(Path(problem.path).stem, []).append(str(problem))
    if scheduler is None:
        scheduler = config.build.scheduler
        where = f"{raw.config.path}:{raw.config.line_of(('build', 'scheduler'))}: build.scheduler"
    else:
        where = "--scheduler"
    cluster = (scheduler, where) if scheduler else None
    result = _finish(
        publisher, survey, library, profiles, broken, wanted, pdf, jobs, cluster, on_start, on_done
    )
    result.warnings[:0] = [str(warning) for warning in sorted(report.warnings)]  # rebuilt ones'
    return result


@dataclass(frozen=True)
class _Survey:
    """What a build has to do, found before it writes anything."""

    root: Path
    config: Config
    secret: SiteSecret
    common: str  # the shared inputs' fingerprint
    site: bool  # the site's own files are as a build with these shared inputs left them
    names: list[str]  # the profiles built, or left as they are
    inputs: dict[str, str]  # profile -> the fingerprint of what its booklet is made from
    unchanged: list[str]
    changed: list[str]  # profiles/<id>.yaml to read, validate and build


def _has_secret(root: Path) -> bool:
    """Whether the site secret exists (else site_secret makes it: a write)."""
    return bool(os.environ.get(SECRET_ENV)) or (root / SECRET_FILE).exists()


def _nothing_to_do(
    publisher: Publisher,
    raw: RawProject,
    listed: Mapping[str, Path],
    known: Sequence[str],
    wanted: Sequence[str],
    pdf: bool,
) -> _Survey | None:
    """The survey of a build with nothing to do, or None if there may be something. The
    library, the templates and every profile are as a build left them that validated them,
    so the build need not validate them again (a no-op of 1,000 patients takes moments)."""
    root = raw.root
    if not _has_secret(root) or any(name not in known for name in wanted):
        return None
    report = Report()
    config = validate_config(raw, build_context(raw), report)
    if config is None or report.problems:
        return None
    secret = site_secret(root)
    common = stamp.shared_inputs(root, config, secret.value)
    if not stamp.site_up_to_date(publisher.output, common):
        return None
    names = _select(known, wanted)
    survey = _survey(
        root, publisher, config, secret, common, True, listed, names, set(), pdf, False
    )
    return None if survey.changed or len(survey.unchanged) < len(names) else survey


def _survey(
    root: Path,
    publisher: Publisher,
    config: Config,
    secret: SiteSecret,
    common: str,
    site: bool,
    listed: Mapping[str, Path],
    names: Sequence[str],
    odd: set[str],
    pdf: bool,
    force: bool,
) -> _Survey:
    """Which of the profiles named are to be built: a profile whose bytes are those of its
    last build, with the same library, templates, settings and movebook, is as valid as it
    was then: it is neither parsed nor validated again."""
    selected = set(names)
    survey = _Survey(root, config, secret, common, site, list(names), {}, [], [])
    for rel, path in listed.items():
        name = Path(rel).stem
        if name not in selected:
            continue
        data = file_bytes(path, MAX_YAML_BYTES)
        if data is not None:
            survey.inputs[name] = stamp.patient_inputs(common, rel, data)
            folder = publisher.patients / secret.slug(name)
            fresh = not force and name not in odd
            if fresh and stamp.up_to_date(publisher.output, name, survey.inputs[name], pdf, folder):
                survey.unchanged.append(name)
                continue
        survey.changed.append(rel)
    return survey


def _finish(
    publisher: Publisher,
    survey: _Survey,
    library: Library | None,
    profiles: Mapping[str, Profile],
    broken: Mapping[str, list[str]],
    wanted: Sequence[str],
    pdf: bool,
    jobs: int,
    scheduler: tuple[str, str] | None,
    on_start: Callable[[int], None] | None,
    on_done: Callable[[Outcome], None] | None,
) -> BuildResult:
    """Write the site's own files if need be, and build every profile of the survey that
    validated and has changed (on the cluster named, if any), publishing each as it comes."""
    root, config, secret, names = (
        publisher.output.parent,
        survey.config,
        survey.secret,
        survey.names,
    )
    result = BuildResult(secret=secret)
    todo = [name for name in names if name in profiles and name not in broken]
    address, where = scheduler if scheduler and todo else (None, "")
    with _cluster(address, where, jobs) as cluster:  # before writing
        if not survey.site:
            assert library is not None  # validated, with the templates: the site is not fresh
            index, assets = render_site_index(root, config, library), site_assets(config, root)
            publisher.site_files(index, assets)
            publisher.write_site_stamp(survey.common, [*index, *assets])
        if on_start:
            on_start(len(names))

        def finish(outcome: Outcome) -> None:
            result.outcomes.append(outcome)
            if on_done:
                on_done(outcome)

        for name in names:
            if name in broken:
                finish(Outcome(name, tuple(broken[name])))
        for name in survey.unchanged:
            finish(Outcome(name, unchanged=True))
        if todo and library is not None:
            result.warnings += untranslated_warnings(config, library, [profiles[n] for n in todo])
        if not config.site.base_url:
            result.warnings.append(
                "site.base_url is not set in movebook.yaml, so the handouts carry no QR code"
            )
        if todo and library is not None:
            work = Work(root, config, library, pdf, secret)
            order = [profiles[name] for name in _longest_first(profiles, todo)]
            renders = cluster.render(work, order) if cluster else _render_all(work, order, jobs)
            for name, rendered in renders:
                finish(_published(publisher, name, rendered, profiles[name], survey, pdf))
    if not wanted:  # only a full build knows every profile
        result.removed = publisher.prune({secret.slug(name) for name in names}, set(names))
    result.outcomes.sort(key=lambda o: o.profile)
    return result


def _published(
    publisher: Publisher,
    name: str,
    rendered: Rendered | str,
    profile: Profile,
    survey: _Survey,
    pdf: bool,
) -> Outcome:
    if isinstance(rendered, str):
        return Outcome(name, (rendered,))
    slug = survey.secret.slug(name)
    try:
        pdf_path = publisher.patient(name, slug, rendered)
        inputs = survey.inputs.get(name, "")  # none: its file could not be read twice
        publisher.write_stamp(profile, slug, inputs, pdf=pdf)
    except OSError as error:  # this patient's folder is read-only, say: the others go on
        return Outcome(name, (_cannot_write(error, survey.root, publisher, name),))
    return Outcome(name, pdf=pdf_path)


@dataclass(frozen=True)
class Work:
    """What every patient's render is made from, besides the patient's profile."""

    root: Path
    config: Config
    library: Library
    pdf: bool
    secret: SiteSecret

    def attempt(self, profile: Profile) -> Rendered | str:
        """One patient's render, here, or the one-line reason it failed."""
        kept = self.kept(profile)
        if isinstance(kept, str):
            return kept
        return _attempt(self.root, self.config, self.library, profile, self.pdf, self.secret, kept)

    def kept(self, profile: Profile) -> dict[str, bytes] | str:
        """The patient's earlier handouts in output/, or the one-line reason they are unread."""
        try:
            return kept_handouts(self.root, profile)
        except OSError as error:
            return _unreadable(error, self.root, profile.id)


def _longest_first(profiles: Mapping[str, Profile], names: Sequence[str]) -> list[str]:
    """The longest first (a handout for each assessment that has none yet), so that no long
    one starts last while the other workers sit idle."""
    return sorted(names, key=lambda name: -len(profiles[name].assessments))


@contextmanager
def _cluster(scheduler: str | None, where: str, jobs: int) -> Iterator[Cluster | None]:
    """Connected to the Dask scheduler named, if any (dask is imported only then: it takes a
    second, and a build on this machine needs none of it)."""
    if scheduler is None:
        yield None
        return
    from movebook.cluster import connect

    with connect(scheduler, where, jobs) as cluster:
        yield cluster


def _cannot_write(error: OSError, root: Path, publisher: Publisher, profile: str) -> str:
    """`output/pdf/maria-lopez: Permission denied (cannot write the handout for ...)`. A
    booklet's folder is named by its parent only: the line would tie the patient to their
    link."""
    path, reason = os_culprit(error)
    path = path or publisher.output
    if path.is_relative_to(publisher.patients):
        path = publisher.patients
    what = "handout" if path.is_relative_to(publisher.pdfs) else "booklet"
    return (
        f"{shown_path(path, root)}: {reason} "
        f"(cannot write the {what} for {PROFILES_DIR}/{profile}.yaml)"
    )


def _render_all(
    work: Work, profiles: Sequence[Profile], jobs: int
) -> Iterator[tuple[str, Rendered | str]]:
    """Render patients, in worker processes when jobs > 1, yielding each as it is ready: at
    most `jobs` rendering and `jobs` rendered waiting to be published, however many patients.

    Each worker process is a pool of its own, rendering one patient at a time: a worker that
    dies (killed, out of memory) takes down only the patient it was rendering, who is tried
    once more in a fresh worker and fails alone if that one dies too."""
    if jobs <= 1 or len(profiles) <= 1:
        for profile in profiles:
            yield profile.id, work.attempt(profile)
        return
    context = _worker_context()
    direct = context.get_start_method() != "forkserver"  # else the forkserver is the parent

    waiting = deque(profiles)
    idle: list[ProcessPoolExecutor] = []
    busy: dict[Future[Rendered | str], tuple[Profile, ProcessPoolExecutor]] = {}
    died: set[str] = set()
    ready: list[tuple[str, Rendered | str]] = []

    def fill() -> None:
        while waiting and len(busy) < jobs:
            profile = waiting.popleft()
            kept = work.kept(profile)
            if isinstance(kept, str):
                ready.append((profile.id, kept))
                continue
            worker = idle.pop() if idle else ProcessPoolExecutor(
                1, context, initializer=_die_with_build, initargs=(os.getpid(), direct)
            )  # fmt: skip
            future = worker.submit(
                _attempt, work.root, work.config, work.library, profile, work.pdf, work.secret, kept
            )
            busy[future] = profile, worker

    try:
        fill()
        while busy or ready:
            done, _ = wait(busy, return_when=FIRST_COMPLETED) if busy else (set(), set())
            for future in done:
                profile, worker = busy.pop(future)
                try:
                    ready.append((profile.id, future.result()))
                except BrokenProcessPool:
                    worker.shutdown(wait=False)
                    if profile.id not in died:
                        died.add(profile.id)
                        waiting.appendleft(profile)
                        continue
                    ready.append((profile.id, died_rendering(profile.id)))
                    continue
                except Exception as error:  # a result that could not come back, say
                    ready.append((profile.id, unrendered(profile.id, render_error(error))))
                idle.append(worker)
            fill()  # before handing these over: the workers render while the caller publishes
            handed, ready[:] = list(ready), []
            yield from handed
    finally:
        for worker in [*idle, *(worker for _, worker in busy.values())]:
            worker.shutdown(wait=True, cancel_futures=True)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Where worker processes come from: a fork server that has imported the renderer once,
    where there is one (Linux, macOS). A worker forked from it holds only the renderer and the
    patients it is sent, not this process's memory (a caseload of a thousand profiles, the
    preview's threads); it starts in moments, without importing anything."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["movebook.publish", "weasyprint"])
    return context


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_build(build: int, direct: bool) -> None:
    """Worker initializer: a worker never outlives its build. A build killed with -9 (the OOM
    killer, a CI timeout) would otherwise leave its workers blocked forever on a pipe: a
    worker holds the other end itself, and a fork server lives as long as its workers do.
    Linux kills a worker forked by the build with it; a watchdog thread ends any other as
    soon as the build is gone."""
    if direct and sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = os.getppid()
    if direct and parent != build:
        os._exit(1)  # the build died before the line above could take effect
    handle = None
    if not direct and sys.platform == "linux":
        try:
            handle = os.pidfd_open(build)  # readable once the build has ended, reaped or not
        except ProcessLookupError:
            os._exit(1)

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while os.getppid() == parent and (direct or _running(build)):
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="movebook-watchdog", daemon=True).start()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process has this number now
        return False
    return True


def _attempt(
    root: Path,
    config: Config,
    library: Library,
    profile: Profile,
    pdf: bool,
    secret: SiteSecret,
    kept: Mapping[str, bytes],
) -> Rendered | str:
    """A patient's render, or the one-line reason it failed: a template error, a template that
    raised ({{ 1/0 }}), a file it could not read."""
    try:
        return render_patient(root, config, library, profile, pdf, secret, kept)
    except OSError as error:
        return _unreadable(error, root, profile.id)
    except Exception as error:
        where = template_position(error)
        if where is None and not isinstance(error, jinja2.TemplateError):
            return unrendered(profile.id, render_error(error))
        file, line = where or ("templates", 0)
        return f"{file}:{line}: {render_error(error)} {_rendering(profile.id)}"


def _unreadable(error: OSError, root: Path, profile: str) -> str:
    path, reason = os_culprit(error)
    return f"{shown_path(path or root / OUTPUT_DIR, root)}: {reason} {_rendering(profile)}"


def _rendering(profile: str) -> str:
    return f"(rendering {PROFILES_DIR}/{profile}.yaml)"


def unrendered(profile: str, why: str) -> str:
    return f"{PROFILES_DIR}/{profile}.yaml: could not render the booklet: {why}"


def died_rendering(profile: str, times: int = 2) -> str:
    """A patient whose render took down every process it was tried in."""
    count = "twice" if times == 2 else f"{times} times"
    return unrendered(profile, f"the process rendering it died {count} (out of memory, or killed)")
