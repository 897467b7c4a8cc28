"""Faults a build meets on a real machine: a file where a folder should be, a read-only
folder, a full disk, a template that raises, a worker that dies, a build killed with -9. Each
is one line on stderr naming the file (and the patient, when one is concerned), exit 1, no
traceback, and nothing half-written."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import GOOD_PROFILE, SECRET, booklet_folder, bundled_copy, page_file, write
from movebook import publish
from movebook.cli import main
from movebook.serve import Preview

OTHER_PROFILE = GOOD_PROFILE.replace("ana-silva", "bo-berg").replace("Ana Silva", "Bo Berg")
BAR = "Building booklets"  # the progress bar's label: the only line a build always prints


def cli(*args: str) -> Result:
    """In this process (--jobs 1 for a build), so that what a test patches applies."""
    jobs = ["--jobs", "1"] if args[0] == "build" else []
    return CliRunner().invoke(main, [*args, *jobs])


def failed_with(result: Result, *lines: str) -> None:
    """Exit 1 and exactly these lines on stderr: no traceback, nothing else."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.stderr.splitlines() == list(lines)


def staging_left(root: Path) -> list[Path]:
    return [p for p in (root / "output").rglob("*") if p.name.startswith(publish.STAGING)]


@pytest.fixture
def two(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two patients. The handouts are stand-ins: these tests are about writing them."""
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "profiles/bo-berg.yaml", OTHER_PROFILE)
    monkeypatch.setattr(publish, "render_pdf", lambda *args, **kwargs: b"%PDF-1.7 stand-in")
    return project


# --- a file where a folder should be ---------------------------------------------------------


def test_a_file_where_the_site_folder_should_be(two: Path) -> None:
    write(two, "output/site", "not a folder")
    failed_with(
        cli("build", "--no-pdf", "--project", str(two)),
        "output/site: expected a folder, got a file",
    )
    assert (two / "output" / "site").read_text() == "not a folder"
    assert staging_left(two) == []


def test_a_file_where_a_patients_pdf_folder_should_be_fails_that_patient_alone(
    two: Path,
) -> None:
    write(two, "output/pdf/ana-silva", "not a folder")
    failed_with(
        cli("build", "--project", str(two)),
        BAR,
        "output/pdf/ana-silva: expected a folder, got a file "
        "(cannot write the handout for profiles/ana-silva.yaml)",
    )
    assert (two / "output" / "pdf" / "bo-berg" / "2026-09-02.pdf").is_file()
    assert page_file(two, "bo-berg", "index.html").is_file()
    assert not booklet_folder(two, "ana-silva").exists()
    assert staging_left(two) == []


# --- read-only folders and a full disk (simulated: tests run as root, who may write anywhere) --


def refuse_writes(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Creating, renaming or opening for writing anything inside `folder` fails with `code`,
    as on a read-only folder (EACCES) or a full disk (ENOSPC)."""
    folder = folder.resolve()

    def inside(path: Any) -> bool:
        return Path(os.fsdecode(path)).resolve().is_relative_to(folder)

    def refuse(path: Any) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))

    real_open, real_mkdir, real_rename = os.open, os.mkdir, os.rename

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            raise refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if inside(path):
            raise refuse(path)
        real_mkdir(path, *args, **kwargs)

    def fake_rename(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if inside(source) or inside(target):
            raise refuse(source)
        real_rename(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "rename", fake_rename)


def test_a_read_only_output_folder(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (two / "output").mkdir()
    refuse_writes(monkeypatch, two / "output", errno.EACCES)
    failed_with(cli("build", "--no-pdf", "--project", str(two)), "output: Permission denied")
    assert list((two / "output").iterdir()) == []


def test_a_read_only_pdf_folder_fails_that_patient_alone(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (two / "output" / "pdf" / "ana-silva").mkdir(parents=True)
    refuse_writes(monkeypatch, two / "output" / "pdf" / "ana-silva", errno.EACCES)
    failed_with(
        cli("build", "--project", str(two)),
        BAR,
        "output/pdf/ana-silva: Permission denied "
        "(cannot write the handout for profiles/ana-silva.yaml)",
    )
    assert page_file(two, "bo-berg", "index.html").is_file()
    assert list((two / "output" / "pdf" / "ana-silva").iterdir()) == []


def full_disk(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Writing a file inside `folder` fails as on a full disk: the error names no file."""
    folder = folder.resolve()
    real = os.fdopen

    class Full:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fake(descriptor: int, *args: Any, **kwargs: Any) -> Any:
        stream = real(descriptor, *args, **kwargs)
        if Path(os.readlink(f"/proc/self/fd/{descriptor}")).is_relative_to(folder):
            return Full(stream)
        return stream

    monkeypatch.setattr(os, "fdopen", fake)


def test_a_full_disk_names_the_file_and_the_patient(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (two / "output" / "pdf" / "ana-silva").mkdir(parents=True)
    full_disk(monkeypatch, two / "output" / "pdf" / "ana-silva")
    failed_with(
        cli("build", "--project", str(two)),
        BAR,
        "output/pdf/ana-silva: No space left on device "
        "(cannot write the handout for profiles/ana-silva.yaml)",
    )
    assert list((two / "output" / "pdf" / "ana-silva").iterdir()) == []  # no half-written PDF
    assert page_file(two, "bo-berg", "index.html").is_file()


def test_a_full_disk_while_writing_the_site(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (two / "output" / "site").mkdir(parents=True)
    full_disk(monkeypatch, two / "output")
    failed_with(
        cli("build", "--no-pdf", "--project", str(two)), "output/site: No space left on device"
    )
    assert list((two / "output" / "site").iterdir()) == []


# --- the site secret -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "links"])
def test_a_folder_where_the_site_secret_should_be(
    two: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.delenv("MOVEBOOK_SITE_SECRET")
    (two / ".movebook-secret").mkdir()
    failed_with(
        cli(command, "--project", str(two)), ".movebook-secret: expected a file, got a folder"
    )
    assert not (two / "output").exists()


def test_an_unreadable_site_secret(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOVEBOOK_SITE_SECRET")
    secret = write(two, ".movebook-secret", SECRET + "\n")
    real = Path.read_text

    def unreadable(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == secret:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", unreadable)
    failed_with(cli("links", "--project", str(two)), ".movebook-secret: Permission denied")


# --- every command turns an OSError into one line ----------------------------------------------


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (["check"], "movebook.project.validate_project"),
        (["plan", "ana-silva"], "movebook.project.validate_project"),
        (["links"], "movebook.project.validate_project"),
        (["build"], "movebook.publish.validate_project"),
        (["schema"], "movebook.cli.build_context"),
        (["reassess", "ana-silva"], "movebook.reassess.validate_project"),
        (["serve", "--port", "0"], "movebook.publish.validate_project"),
    ],
    ids=["check", "plan", "links", "build", "schema", "reassess", "serve"],
)
def test_every_command_reports_an_os_error_in_one_line(
    two: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], where: str
) -> None:
    def unreadable(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(two / "movebook.yaml"))

    monkeypatch.setattr(where, unreadable)
    result = cli(*command, "--project", str(two))
    said = ["Building booklets…"] if command[0] == "serve" else []
    failed_with(result, *said, "movebook.yaml: Permission denied")


def test_schema_into_a_folder_that_is_a_file(two: Path, tmp_path: Path) -> None:
    write(tmp_path, "schemas", "not a folder")
    failed_with(
        cli("schema", "--project", str(two), "--output", str(tmp_path / "schemas" / "p.json")),
        f"{tmp_path / 'schemas'}: expected a folder, got a file",
    )


def test_serve_with_a_file_where_the_site_should_be(two: Path) -> None:
    write(two, "output/site", "not a folder")
    result = cli("serve", "--port", "0", "--project", str(two))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Building booklets…",
        "output/site: expected a folder, got a file",
    ]


def test_a_rebuild_in_the_preview_that_cannot_write_shows_one_line(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Preview(two, port=0, interval=0.05) as preview:
        preview.start(watch=False)

        def read_only(*args: object, **kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(two / "output" / "site"))

        monkeypatch.setattr(publish, "build", read_only)
        write(two, "profiles/bo-berg.yaml", OTHER_PROFILE + "\n# edited\n")
        watcher = threading.Thread(target=preview.watch)
        watcher.start()
        deadline = time.monotonic() + 10
        while not preview.state.fatal and time.monotonic() < deadline:
            time.sleep(0.05)
        preview.stop()
        watcher.join()
        assert preview.state.fatal == ("output/site: Permission denied",)


# --- a stray file beside the booklets ----------------------------------------------------------


def test_a_stray_file_beside_the_booklets_is_left_alone(two: Path) -> None:
    write(two, "output/site/p/.DS_Store", "Finder was here")
    write(two, "output/.stamps/stray.json", "x")  # a file of a profile that is gone: removed
    (two / "output" / ".stamps" / "folder.json").mkdir()  # not a stamp: left alone
    result = cli("build", "--no-pdf", "--project", str(two))
    assert result.exit_code == 0, result.output
    assert (two / "output" / "site" / "p" / ".DS_Store").read_text() == "Finder was here"
    assert not (two / "output" / ".stamps" / "stray.json").exists()
    assert (two / "output" / ".stamps" / "folder.json").is_dir()
    with Preview(two, port=0) as preview:
        preview.start(watch=False)
        assert not preview.state.errors
    assert (two / "output" / "site" / "p" / ".DS_Store").is_file()


# --- templates ---------------------------------------------------------------------------------


def test_a_template_that_raises_fails_that_patient_alone(two: Path) -> None:
    write(
        two,
        "templates/overview.html",
        """\
        {% extends "movebook/overview.html" %}
        {% block content %}{% if person.name == "Bo Berg" %}{{ 1/0 }}{% endif %}{% endblock %}
        """,
    )
    failed_with(
        cli("build", "--no-pdf", "--project", str(two)),
        BAR,
        "templates/overview.html:2: ZeroDivisionError: division by zero "
        "(rendering profiles/bo-berg.yaml)",
    )
    assert page_file(two, "ana-silva", "index.html").is_file()
    assert not booklet_folder(two, "bo-berg").exists()


@pytest.mark.parametrize(
    ("template", "text", "line"),
    [
        ("site-index.html", "<p>\n{{ 1/0 }}</p>\n", "templates/site-index.html:2: "
         "ZeroDivisionError: division by zero"),
        ("booklet.css", "body { color: {{ nope }}; }\n", "templates/booklet.css:1: "
         "'nope' is undefined"),
    ],
    ids=["site-index", "stylesheet"],
)  # fmt: skip
def test_an_error_in_a_site_template_stops_the_build_in_one_line(
    two: Path, template: str, text: str, line: str
) -> None:
    write(two, f"templates/{template}", text)
    failed_with(cli("build", "--no-pdf", "--project", str(two)), line)
    assert not (two / "output" / "site").exists()


def test_check_compiles_the_projects_templates(two: Path) -> None:
    write(two, "templates/session.html", "{% extends 'movebook/session.html' %}\n{% block x %}")
    write(two, "templates/base.html", b"<p>caf\xe9</p>\n")
    result = cli("check", "--project", str(two))
    failed_with(
        result,
        "templates/base.html:1: expected a UTF-8 text file, got bytes that are not UTF-8",
        "templates/session.html:2: expected a valid template, got Unexpected end of template. "
        "Jinja was looking for the following tags: 'endblock'. The innermost block that needs "
        "to be closed is 'block'.",
    )
    assert result.stdout.endswith(": 2 errors\n")


# --- worker processes (real processes: a build killed, a worker that dies) -------------------


def clinic(tmp_path: Path, *keep: str) -> Path:
    root = bundled_copy(tmp_path / "clinic")
    for path in (root / "profiles").glob("*.yaml"):
        if path.stem not in keep:
            path.unlink()
    return root


def processes() -> dict[int, int]:
    """pid -> parent pid of every live process (zombies are dead: nobody may reap them here)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone while we looked
        if fields[0] != "Z":
            found[int(stat.parent.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    family = processes()
    found: set[int] = set()
    parents = {pid}
    while parents:
        children = {child for child, parent in family.items() if parent in parents} - found
        found |= children
        parents = children
    return found


def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Pids of processes a test started; any still alive at the end are killed."""
    pids: list[int] = []
    yield pids
    for pid in set(pids) & set(processes()):
        os.kill(pid, signal.SIGKILL)


def test_workers_die_with_a_build_killed_with_sigkill(tmp_path: Path, started: list[int]) -> None:
    root = clinic(tmp_path, "maria-lopez", "fatima-al-sayed", "kwame-mensah", "yuki-tanaka")
    build = subprocess.Popen(
        [sys.executable, "-m", "movebook", "build", "--jobs", "2", "--project", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started.append(build.pid)
    assert until(lambda: len(descendants(build.pid)) >= 2, 60), "no workers started"
    workers = descendants(build.pid)
    started.extend(workers)
    build.kill()
    build.wait()
    assert until(lambda: not workers & set(processes()), 5), (
        f"workers still alive after their build was killed: {workers & set(processes())}"
    )


RUN_WITH_A_DYING_WORKER = """\
import os
import sys
from pathlib import Path

from movebook import publish

# The build's own process: its workers run this file again (a fork server's do), and inherit
# the variable the build set here
BUILD = int(os.environ.setdefault("TEST_BUILD_PID", str(os.getpid())))
real = publish.render_patient


def render_patient(root, config, library, profile, *args):
    marker = Path(os.environ["DIE_MARKER"])
    if profile.id == os.environ["DIE_RENDERING"] and os.getpid() != BUILD:
        if os.environ["DIE"] == "always" or not marker.exists():
            marker.touch()
            os._exit(7)  # as the OOM killer would
    return real(root, config, library, profile, *args)


publish.render_patient = render_patient

if __name__ == "__main__":
    from movebook.cli import main

    main(sys.argv[1:], prog_name="movebook")
"""


def build_with_a_dying_worker(
    root: Path, tmp_path: Path, die: str
) -> subprocess.CompletedProcess[str]:
    runner = write(tmp_path, "run.py", RUN_WITH_A_DYING_WORKER)
    env = {
        **os.environ,
        "DIE": die,
        "DIE_RENDERING": "maria-lopez",
        "DIE_MARKER": str(tmp_path / "died"),
    }
    return subprocess.run(
        [sys.executable, str(runner), "build", "--no-pdf", "--jobs", "2", "--project", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_worker_that_dies_twice_fails_its_patient_alone(tmp_path: Path) -> None:
    root = clinic(tmp_path, "maria-lopez", "fatima-al-sayed", "kwame-mensah")
    result = build_with_a_dying_worker(root, tmp_path, "always")
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        BAR,
        "profiles/maria-lopez.yaml: could not render the booklet: the process rendering it "
        "died twice (out of memory, or killed)",
    ]
    assert result.stdout.startswith("2 booklets built, 1 failed in ")
    for name in ("fatima-al-sayed", "kwame-mensah"):
        assert page_file(root, name, "index.html").is_file()
    assert not booklet_folder(root, "maria-lopez").exists()


def test_a_worker_that_dies_once_is_tried_again(tmp_path: Path) -> None:
    root = clinic(tmp_path, "maria-lopez", "fatima-al-sayed", "kwame-mensah")
    result = build_with_a_dying_worker(root, tmp_path, "once")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "died").exists()  # it did die, once
    assert result.stderr.splitlines() == [BAR]
    for name in ("maria-lopez", "fatima-al-sayed", "kwame-mensah"):
        assert page_file(root, name, "index.html").is_file()
