"""Two builds of one project, or a build and the preview, take turns instead of undoing each
other's work; two processes creating the site secret at once agree on one."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOOD_PROFILE, booklet_folder, write
from interrupt import PAUSED
from interrupt import run as interrupted
from movebook import publish
from movebook.serve import Preview
from movebook.site import SECRET_ENV, SECRET_FILE, encode, site_secret

BEN = GOOD_PROFILE.replace("ana-silva", "ben-okoro").replace("Ana Silva", "Ben Okoro")
WAITING = "waiting for another build of this project to finish…"
BUILDING = "Building booklets\n"  # the progress bar, when stderr is not a terminal
TIMEOUT = 60


@pytest.fixture
def clinic(project: Path) -> Path:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "profiles/ben-okoro.yaml", BEN)
    return project


def movebook(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "movebook", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first lines the process writes on stderr (fewer if it ends first)."""
    stream = process.stderr
    assert stream is not None
    read: queue.Queue[list[str]] = queue.Queue()
    reader = threading.Thread(
        target=lambda: read.put([stream.readline().rstrip("\n") for _ in range(count)]),
        daemon=True,
    )
    reader.start()
    return read.get(timeout=TIMEOUT)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, out, err


def complete(root: Path, *profiles: str) -> None:
    """Every booklet is in place and nothing half-built is left on the site."""
    for profile in profiles:
        assert (booklet_folder(root, profile) / "index.html").is_file(), profile
    site = root / "output" / "site"
    assert [path for path in site.rglob(".staging-*")] == []


def test_a_second_build_waits_for_the_first_and_both_succeed(clinic: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    args = ["build", "--no-pdf", "--project", str(clinic)]
    # The first build stops with its first booklet complete in a staging folder, about to be
    # swapped in: the moment a second build's sweep used to delete it from under it.
    first = interrupted("swap", f"pause:{go}", *args)
    assert lines(first, 2) == ["Building booklets", PAUSED]
    second = movebook(*args, "--force")
    try:
        assert lines(second, 1) == [WAITING]
    finally:
        go.touch()
    code, out, err = finish(first)
    assert (code, err.count("Traceback")) == (0, 0), err
    assert out.startswith("2 booklets built in ")
    code, out, err = finish(second)
    assert (code, err) == (0, BUILDING), err
    assert out.startswith("2 booklets built in ")
    complete(clinic, "ana-silva", "ben-okoro")


@pytest.fixture
def held(clinic: Path) -> Iterator[int]:
    """The project's build lock, held by the test as another build would hold it."""
    descriptor = os.open(clinic, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def test_the_preview_waits_for_a_build_before_it_rebuilds(clinic: Path, held: int) -> None:
    said: list[str] = []
    preview = Preview(clinic, port=0, on_message=lambda text, error: said.append(text))
    starting = threading.Thread(target=preview.start, kwargs={"watch": False})
    starting.start()
    deadline = time.monotonic() + TIMEOUT
    while not said and starting.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert said == [WAITING]
    assert starting.is_alive()  # still waiting, not building
    fcntl.flock(held, fcntl.LOCK_UN)
    starting.join(timeout=TIMEOUT)
    try:
        assert said[1].startswith("Built 2 booklets in ")
    finally:
        preview.stop()


def test_a_build_runs_while_the_preview_is_idle(clinic: Path) -> None:
    with Preview(clinic, port=0) as preview:
        preview.start(watch=False)
        code, out, err = finish(movebook("build", "--no-pdf", "--force", "--project", str(clinic)))
    assert (code, err) == (0, BUILDING)
    assert out.startswith("2 booklets built in ")


# --- the site secret ---------------------------------------------------------------------------

PAIRS = 200


def _create(roots: list[str], barrier: Any, results: Any) -> None:
    for root in roots:
        barrier.wait()
        try:
            secret = site_secret(Path(root))
            results.put((root, encode(secret.value), secret.created))
        except Exception as error:
            results.put((root, f"{type(error).__name__}: {error}", False))


def test_two_processes_creating_the_secret_at_once_agree_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    roots = [tmp_path / str(pair) for pair in range(PAIRS)]
    for root in roots:
        root.mkdir()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_create, args=([str(root) for root in roots], barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    seen: dict[str, list[tuple[str, bool]]] = {}
    for _ in range(2 * PAIRS):
        root, value, created = results.get(timeout=TIMEOUT)
        seen.setdefault(root, []).append((value, created))
    for worker in workers:
        worker.join(timeout=TIMEOUT)
    for root in roots:
        on_disk = (root / SECRET_FILE).read_text().strip()
        assert sorted(seen[str(root)]) == sorted([(on_disk, True), (on_disk, False)]), root
        assert (root / ".gitignore").read_text().count(f"{SECRET_FILE}\n") == 1
        assert sorted(path.name for path in root.iterdir()) == [".gitignore", SECRET_FILE]


def test_the_lock_leaves_no_file_on_the_site_or_anywhere(clinic: Path) -> None:
    before = {path.name for path in clinic.iterdir()}
    assert not publish.build(clinic, pdf=False).failed
    assert {path.name for path in clinic.iterdir()} - before == {"output"}
    assert not [path for path in (clinic / "output").rglob("*.lock")]
