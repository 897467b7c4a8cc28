"""What a killed build leaves, and what the next one makes of it: never a missing booklet, never
a half-written file on the site, never a damaged file taken for an unchanged one. And what a
build writes reaches the disk before it is published."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOOD_PROFILE, booklet_folder, page_file, read_page, write
from interrupt import run as interrupted
from movebook import publish
from movebook.site import SECRET_ENV, SECRET_FILE, site_secret

BUILDING = "Building booklets\n"  # the progress bar, when stderr is not a terminal
TIMEOUT = 120


def movebook(
    root: Path, *args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None
) -> tuple[int, str, str]:
    result = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "movebook", *args, "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )
    return result.returncode, result.stdout, result.stderr


def killed(point: str, root: Path, *args: str) -> None:
    process = interrupted(point, "kill", *args, "--project", str(root))
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == -9, err


def leftovers(root: Path) -> list[str]:
    """Whatever a killed build half-wrote that is still on the site or beside it."""
    output = root / "output"
    return sorted(path.relative_to(output).as_posix() for path in output.rglob(".staging-*"))


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def clinic(project: Path) -> Path:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    assert not publish.build(project, pdf=False).failed
    return project


def test_a_build_killed_mid_swap_leaves_the_booklet_it_was_replacing(clinic: Path) -> None:
    folder = booklet_folder(clinic, "ana-silva")
    before = files(folder)
    write(clinic, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("nprs: 6", "nprs: 4"))
    killed("retire", clinic, "build", "--no-pdf")
    assert not folder.exists()  # killed with the old booklet moved aside, the new one not in
    # The next build cannot make her a new one (a typo since): she keeps her last booklet.
    write(clinic, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("phase: 1", "phase: 7"))
    code, _, err = movebook(clinic, "build", "--no-pdf")
    assert code == 1
    assert (
        err == BUILDING + "profiles/ana-silva.yaml:5: assessments[0].phase: expected 1-4, got 7\n"
    )
    assert files(folder) == before
    assert leftovers(clinic) == []


def test_the_sweep_puts_back_the_booklet_a_killed_swap_moved_aside(clinic: Path) -> None:
    folder = booklet_folder(clinic, "ana-silva")
    before = files(folder)
    killed("retire", clinic, "build", "--no-pdf", "--force")
    publish.Publisher(clinic).sweep()
    assert files(folder) == before
    assert leftovers(clinic) == []
    code, out, _ = movebook(clinic, "build", "--no-pdf")
    assert (code, out.startswith("0 booklets built, 1 unchanged in ")) == (0, True)


def test_a_killed_asset_write_is_swept(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    killed("asset", project, "build", "--no-pdf")
    assert [name.rpartition("/")[0] for name in leftovers(project)] == ["site/assets"]
    code, _, err = movebook(project, "build", "--no-pdf")
    assert (code, err) == (0, BUILDING)
    assert leftovers(project) == []


def unprivileged() -> list[str]:
    """A command prefix under which read-only folders stop the command: none for a normal user;
    for root, setpriv dropping the capabilities that let it write anywhere."""
    if os.geteuid() != 0:
        return []
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if shutil.which("setpriv") is None or subprocess.run([*drop, "true"]).returncode != 0:
        pytest.skip("root writes into read-only folders, and setpriv cannot stop it here")
    return drop


def test_a_read_only_booklet_folder_leaves_nothing_on_the_site(clinic: Path) -> None:
    folder = booklet_folder(clinic, "ana-silva")
    folder.chmod(0o555)
    code, _, err = movebook(clinic, "build", "--no-pdf", "--force", prefix=unprivileged())
    assert (code, err) == (0, BUILDING)
    assert leftovers(clinic) == []
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_a_truncated_page_or_a_damaged_pdf_is_built_again(clinic: Path) -> None:
    assert not publish.build(clinic, pdf=True).failed
    pdf = clinic / "output" / "pdf" / "ana-silva" / "2026-09-02.pdf"
    handout = pdf.read_bytes()
    page = page_file(clinic, "ana-silva", "plan.html")
    plan = read_page(clinic, "ana-silva", "plan.html")
    page.write_bytes(page.read_bytes()[:100])
    damaged = bytearray(handout)
    damaged[len(damaged) // 2] ^= 0xFF  # the same size, one byte changed
    pdf.write_bytes(bytes(damaged))
    result = publish.build(clinic, pdf=True)
    assert [outcome.unchanged for outcome in result.outcomes] == [False]
    assert read_page(clinic, "ana-silva", "plan.html") == plan
    assert pdf.read_bytes() == handout
    assert [outcome.unchanged for outcome in publish.build(clinic, pdf=True).outcomes] == [True]


# --- durable writes ----------------------------------------------------------------------------


class Disk:
    """os.fsync, os.replace, os.rename and os.link, recorded in the order they happen: each
    fsync by the inode it flushed, each rename by the inode it put in place."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, int, str]] = []
        fsync = os.fsync
        monkeypatch.setattr(os, "fsync", self._fsync(fsync))
        for name in ("replace", "rename", "link"):
            monkeypatch.setattr(os, name, self._placing(name, getattr(os, name)))

    def _fsync(self, fsync: Callable[[int], None]) -> Callable[[int], None]:
        def recorded(descriptor: int) -> None:
            fsync(descriptor)
            info = os.fstat(descriptor)
            kind = "fsync folder" if stat.S_ISDIR(info.st_mode) else "fsync file"
            self.events.append((kind, info.st_ino, ""))

        return recorded

    def _placing(self, name: str, place: Callable[..., None]) -> Callable[..., None]:
        def recorded(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            place(src, dst, *args, **kwargs)
            self.events.append(("place", os.stat(dst).st_ino, str(Path(dst).resolve())))

        return recorded

    def check(self, path: Path) -> None:
        """The file at `path` was flushed before it was put in place, and its folder after."""
        path = path.resolve()
        placed = [i for i, event in enumerate(self.events) if event[::2] == ("place", str(path))]
        assert placed, f"{path} was not put in place by a rename or link"
        at = placed[-1]
        inode = self.events[at][1]
        flushed = {event[1] for event in self.events[:at] if event[0].startswith("fsync")}
        assert inode in flushed, f"{path} not flushed first"
        folder = ("fsync folder", path.parent.stat().st_ino, "")
        assert folder in self.events[at:], f"{path.parent} not flushed after"


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    yield Disk(monkeypatch)


def test_the_site_secret_reaches_the_disk_before_it_is_used(
    project: Path, monkeypatch: pytest.MonkeyPatch, disk: Disk
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    secret = site_secret(project)
    disk.check(project / SECRET_FILE)
    assert sorted(path.name for path in project.iterdir() if path.name.startswith(".")) == [
        ".gitignore",
        SECRET_FILE,
    ]
    assert secret.created


def test_stamps_pdfs_and_booklets_reach_the_disk_before_they_are_published(
    project: Path, disk: Disk
) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    assert not publish.build(project, pdf=True).failed
    output = project / "output"
    disk.check(output / ".stamps" / "ana-silva.json")
    disk.check(output / "pdf" / "ana-silva" / "2026-09-02.pdf")
    disk.check(output / "site" / "assets" / "booklet.css")
    folder = booklet_folder(project, "ana-silva")
    disk.check(folder)  # the staging folder, flushed, then renamed into place
    flushed = {inode for kind, inode, _ in disk.events if kind == "fsync file"}
    assert {path.stat().st_ino for path in folder.iterdir()} <= flushed


def test_a_rebuild_with_nothing_changed_writes_nothing(clinic: Path, disk: Disk) -> None:
    site = clinic / "output" / "site"
    before = {path: path.stat().st_mtime_ns for path in site.rglob("*")}
    assert [o.unchanged for o in publish.build(clinic, pdf=False).outcomes] == [True]
    assert {path: path.stat().st_mtime_ns for path in site.rglob("*")} == before
    assert disk.events == []


# --- the secret and git -------------------------------------------------------------------------


@pytest.fixture
def repository(project: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    return project


def status(root: Path) -> list[str]:
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=normal"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_a_new_clinic_repository_never_sees_the_secret_or_the_booklets(repository: Path) -> None:
    code, _, err = movebook(repository, "build", "--no-pdf", env={SECRET_ENV: ""})
    assert code == 0, err
    assert err == BUILDING + (
        f"Created the site secret in {SECRET_FILE} (keep it private and backed up: every "
        f"patient's link depends on it) and added {SECRET_FILE} and /output/ to .gitignore.\n"
    )
    assert sorted(status(repository)) == [
        "?? .gitignore",
        "?? content/",
        "?? movebook.yaml",
        "?? profiles/",
    ]


def test_an_existing_gitignore_is_extended_once(repository: Path) -> None:
    write(repository, ".gitignore", "*.pyc\n/output/\n.DS_Store")
    code, _, err = movebook(repository, "build", "--no-pdf", env={SECRET_ENV: ""})
    assert code == 0, err
    assert f"and added {SECRET_FILE} to .gitignore." in err
    text = (repository / ".gitignore").read_text()
    assert text == f"*.pyc\n/output/\n.DS_Store\n{SECRET_FILE}\n"
    assert "?? .movebook-secret" not in status(repository)
