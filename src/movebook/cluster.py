"""Render on a Dask cluster: each patient's render runs on a worker; only the build publishes.

A worker needs movebook installed (the same version: a worker that runs another one refuses
the work) but not the project folder. What a render reads from the project, its templates/
and the clinic's logo, travels with the work: scattered to the workers once a build, and
written out on each worker into a private temporary folder named by the files' digest. The
earlier handouts a booklet carries are read from output/ here, and sent with their patient.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Future, LocalCluster, as_completed
from distributed.scheduler import KilledWorker

from movebook import stamp
from movebook.model import LOCAL_SCHEDULER, Config, Library, Profile
from movebook.publish import (
    ClusterError,
    Rendered,
    Work,
    _attempt,
    died_rendering,
    unrendered,
)
from movebook.render import PROJECT_TEMPLATES, render_error
from movebook.site import SiteSecret

IN_FLIGHT = 2  # patients sent per worker thread at most: one rendering, one rendered or queued
# Dask's statistical profiler keeps a call tree of every code path it samples: a worker's memory
# grew by a third over 1,000 booklets with it (every template, every Markdown page), and stays
# flat without it. Rendered booklets are never spilled to the worker's disk either.
WORKER_SETTINGS = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.spill": False,
}
LOGGERS = ("distributed", "tornado")  # their warnings would break the one line per problem


@dataclass(frozen=True)
class Bundle:
    """The project's files a render reads: templates/ and the clinic's logo (path -> bytes)."""

    digest: str
    files: tuple[tuple[str, bytes], ...]


def project_bundle(root: Path, config: Config) -> Bundle:
    folder = root / PROJECT_TEMPLATES
    paths = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    if config.clinic.logo and (root / config.clinic.logo).is_file():
        paths.append(root / config.clinic.logo)
    files = tuple((path.relative_to(root).as_posix(), path.read_bytes()) for path in paths)
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return Bundle(digest.hexdigest(), files)


@dataclass(frozen=True)
class Shared:
    """What every render of one build is made from, scattered to the workers once."""

    config: Config
    library: Library
    secret: SiteSecret
    pdf: bool
    code: str  # the client's movebook (stamp.code_inputs): a worker must run the same


_written: dict[str, Path] = {}  # in a worker: bundle digest -> where it was written out
_code: list[str] = []  # in a worker: its own stamp.code_inputs(), worked out once


def materialised(bundle: Bundle) -> Path:
    """The bundle as a project folder in this process, written once: a private folder (not a
    shared name in /tmp that another user could fill first), the last build's removed."""
    folder = _written.get(bundle.digest)
    if folder is not None:
        return folder
    for old in _written.values():
        shutil.rmtree(old, ignore_errors=True)
    _written.clear()
    folder = Path(tempfile.mkdtemp(prefix="movebook-project-"))
    for name, data in bundle.files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    _written[bundle.digest] = folder
    return folder


@atexit.register
def _clean_up() -> None:
    for folder in _written.values():
        shutil.rmtree(folder, ignore_errors=True)


def _render(
    bundle: Bundle, shared: Shared, profile: Profile, kept: dict[str, bytes]
) -> Rendered | str:
    """On a worker: one patient's render, or the one-line reason it failed."""
    if not _code:
        _code.append(stamp.code_inputs())
    if _code[0] != shared.code:
        return unrendered(
            profile.id,
            f"the Dask worker on {os.uname().nodename} runs another movebook or renderer "
            "version than this build (install the same on every worker)",
        )
    root = materialised(bundle)
    return _attempt(root, shared.config, shared.library, profile, shared.pdf, shared.secret, kept)


def _given(value: Any) -> Any:
    return value


def _key(what: str) -> str:
    """An opaque task key: keys show in the dashboard and in the scheduler's logs."""
    return f"movebook-{what}-{uuid.uuid4().hex}"


class Cluster:
    """A connected Dask client, rendering for one build."""

    def __init__(self, client: Client, address: str, where: str) -> None:
        self.client = client
        self.address = address
        self.where = where

    def render(
        self, work: Work, profiles: Sequence[Profile]
    ) -> Iterator[tuple[str, Rendered | str]]:
        """Send each patient to the cluster and yield each as it comes back, at most
        IN_FLIGHT a worker thread out at once. A worker lost mid-render costs only its
        patient's attempt: the scheduler tries it again (allowed-failures), then it fails."""
        client = self.client
        # Not scattered: a scattered value lost with the last worker holding it cannot be made
        # again, and every render waiting on it would be cancelled. A task that returns it can.
        bundle = client.submit(_given, project_bundle(work.root, work.config), key=_key("project"))
        shared = client.submit(
            _given,
            Shared(work.config, work.library, work.secret, work.pdf, stamp.code_inputs()),
            key=_key("shared"),
        )
        limit = IN_FLIGHT * max(1, sum(client.nthreads().values()))
        waiting = deque(profiles)
        sent: dict[str, Profile] = {}
        finished = as_completed(loop=client.loop)

        def fill() -> list[tuple[str, Rendered | str]]:
            unread: list[tuple[str, Rendered | str]] = []
            while waiting and len(sent) < limit:
                profile = waiting.popleft()
                kept = work.kept(profile)
                if isinstance(kept, str):
                    unread.append((profile.id, kept))
                    continue
                key = _key("render")
                sent[key] = profile
                finished.add(client.submit(_render, bundle, shared, profile, kept, key=key))
            return unread

        yield from fill()
        for future in finished:
            profile = sent.pop(str(future.key))
            outcome = self._outcome(future, profile)
            future.release()
            unread = fill()  # before handing this one over: the workers go on rendering
            yield profile.id, outcome
            yield from unread

    def _outcome(self, future: Future[Rendered | str], profile: Profile) -> Rendered | str:
        try:
            result: Rendered | str = future.result()
        except KilledWorker as error:
            return died_rendering(profile.id, error.allowed_failures + 1)
        except CancelledError:  # the scheduler lost, or restarted
            raise ClusterError(
                f"{self.where}: the Dask scheduler at {self.address} dropped the build's work "
                "(the booklets published before are complete: build again)"
            ) from None
        except Exception as error:  # a result that could not come back, say
            return unrendered(profile.id, render_error(error))
        return result


@contextmanager
def connect(address: str, where: str, jobs: int) -> Iterator[Cluster]:
    """A client of the scheduler at `address`, or of a LocalCluster of `jobs` single-threaded
    worker processes for `local`; ClusterError in one line if there is none to be had."""
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    with ExitStack() as stack:
        stack.enter_context(_quiet())
        try:
            if address == LOCAL_SCHEDULER:
                target: Any = stack.enter_context(_local_cluster(jobs))
            else:
                target = address
            client = stack.enter_context(Client(target, timeout=timeout, set_as_default=False))
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, ValueError, TimeoutError, RuntimeError) as error:  # RuntimeError: local
            reason = " ".join(str(error).split()) or type(error).__name__
            raise ClusterError(
                f"{where}: cannot use the Dask scheduler at {address}: {reason}"
            ) from None
        yield Cluster(client, address, where)


@contextmanager
def _local_cluster(jobs: int) -> Iterator[LocalCluster]:
    """As a build on this machine behaves: a patient whose worker dies is tried once more, and
    a worker holds one patient at a time (a patient waiting behind one that kills its worker
    would count that death as its own); and as README's "Running on a cluster" sets up the
    workers of a cluster."""
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.scheduler.worker-saturation": 1.0,
        **WORKER_SETTINGS,
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    with cluster:
        yield cluster


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep Dask's own log lines off the terminal while it serves a build."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.setLevel(level)
