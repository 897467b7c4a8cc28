"""Builds on a Dask cluster: the same booklets as on this machine, byte for byte; a worker lost
or a render that fails costs only its patient; unchanged patients are skipped before anything
is sent; a scheduler that cannot be had is one line, with nothing written."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import dask
import pytest
from click.testing import CliRunner, Result
from distributed import Client, LocalCluster, WorkerPlugin
from pypdf import PdfReader

from conftest import (
    GOOD_PROFILE,
    SITE_SECRET,
    booklet_folder,
    bundled_copy,
    page_file,
    read_page,
    write,
)
from movebook import publish
from movebook.cli import main
from movebook.cluster import WORKER_SETTINGS

BEN = GOOD_PROFILE.replace("ana-silva", "ben-okoro").replace("Ana Silva", "Ben Okoro")
BAR = "Building booklets"  # the progress bar's label: the only line a build always prints
PNG = (  # a 1x1 logo, so that the handout embeds an image the workers must be sent
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
OVERVIEW = """\
{% extends "movebook/overview.html" %}
{% block content %}<p>From the clinic's own template.</p>{{ super() }}{% endblock %}
"""
REASSESSMENT = """\
  - date: 2026-10-14
    phase: 2
    signature:
      directional_preference: none
      findings: [lumbar_hinge_dominant]
"""

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the plugin below, for workers


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A cluster of two single-threaded worker processes, set up as `--scheduler local` sets
    up its own, shared by the tests of this file (starting one takes seconds)."""
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.scheduler.worker-saturation": 1.0,
        **WORKER_SETTINGS,
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    with cluster:
        yield cluster.scheduler_address


@pytest.fixture
def clinic(project: Path) -> Path:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "profiles/ben-okoro.yaml", BEN)
    return project


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def built(result: publish.BuildResult) -> set[str]:
    assert not result.failed, result.failed
    return {outcome.profile for outcome in result.outcomes if not outcome.unchanged}


def tree(root: Path) -> dict[str, bytes]:
    """Every file under output/; of a stamp, all but the times it noted the files were written."""
    output = root / "output"
    files = {}
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".json" and (path.parent.name == ".stamps" or path.parent == output):
            stamp = json.loads(data)
            stamp["files"] = {name: digest for name, (digest, _, _) in stamp["files"].items()}
            data = json.dumps(stamp).encode()
        files[path.relative_to(output).as_posix()] = data
    return files


def samples(root: Path, *keep: str) -> Path:
    """The bundled samples named, with a clinic template (a file a worker is sent)."""
    bundled_copy(root)
    for path in (root / "profiles").glob("*.yaml"):
        if path.stem not in keep:
            path.unlink()
    write(root, "templates/overview.html", OVERVIEW)
    return root


def test_a_local_cluster_builds_what_the_pool_builds_byte_for_byte(tmp_path: Path) -> None:
    names = ("arjun-mehta", "maria-lopez", "lucia-fernandez")
    pool, dask_built = samples(tmp_path / "pool", *names), samples(tmp_path / "dask", *names)
    for root, how in ((pool, ["--jobs", "2"]), (dask_built, ["--scheduler", "local", "-j", "2"])):
        result = cli("build", "--no-pdf", *how, "--project", str(root))
        assert result.exit_code == 0, result.output
        # The handouts, then a reassessment: its earlier handout is kept, sent, sealed again.
        for _ in range(2):
            result = cli("build", *how, "--project", str(root), "arjun-mehta")
            assert result.exit_code == 0, result.output
            with (root / "profiles" / "arjun-mehta.yaml").open("a") as profile:
                profile.write(REASSESSMENT)
    assert (dask_built / "output" / "pdf" / "arjun-mehta" / "2026-10-14.pdf").is_file()
    assert "From the clinic's own template." in read_page(dask_built, "maria-lopez", "index.html")
    assert tree(dask_built) == tree(pool)


def test_the_workers_are_sent_the_clinic_s_logo(tmp_path: Path, scheduler: str) -> None:
    root = samples(tmp_path, "arjun-mehta")
    write(root, "branding/logo.png", PNG)
    config = root / "movebook.yaml"
    config.write_text(
        config.read_text().replace("clinic:\n", "clinic:\n  logo: branding/logo.png\n")
    )
    assert built(publish.build(root, scheduler=scheduler)) == {"arjun-mehta"}
    handout = PdfReader(root / "output" / "pdf" / "arjun-mehta" / "2026-09-30.pdf")
    assert [image.image.size for image in handout.pages[0].images] == [(1, 1)]


class DieRendering(WorkerPlugin):
    """Makes each worker process die (as the OOM killer would) when it renders one patient:
    the first time only, or every time."""

    def __init__(self, profile: str, marker: Path, always: bool) -> None:
        self.profile, self.marker, self.always = profile, marker, always

    def setup(self, worker: Any) -> None:
        self.real = real = publish.render_patient
        profile_id, marker, always = self.profile, self.marker, self.always

        def render_patient(root: Path, config: Any, library: Any, profile: Any, *args: Any) -> Any:
            if profile.id == profile_id and (always or not marker.exists()):
                marker.touch()
                os._exit(7)
            return real(root, config, library, profile, *args)

        publish.render_patient = render_patient  # type: ignore[assignment]

    def teardown(self, worker: Any) -> None:
        publish.render_patient = self.real  # type: ignore[method-assign]


@pytest.fixture
def dying(scheduler: str) -> Iterator[Client]:
    with Client(scheduler) as client:
        yield client
        client.unregister_worker_plugin("die")


@pytest.mark.parametrize("always", [False, True], ids=["once", "twice"])
def test_a_worker_lost_mid_build_costs_only_its_patient(
    clinic: Path, tmp_path: Path, scheduler: str, dying: Client, always: bool
) -> None:
    write(clinic, "profiles/cleo-dube.yaml", BEN.replace("ben-okoro", "cleo-dube"))
    dying.register_plugin(DieRendering("ben-okoro", tmp_path / "died", always), name="die")
    result = cli("build", "--no-pdf", "--scheduler", scheduler, "--project", str(clinic))
    assert (tmp_path / "died").exists()  # it did die
    if always:
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            BAR,
            "profiles/ben-okoro.yaml: could not render the booklet: the process rendering it "
            "died twice (out of memory, or killed)",
        ]
        assert not booklet_folder(clinic, "ben-okoro").exists()
    else:
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [BAR]
        assert page_file(clinic, "ben-okoro", "index.html").is_file()
    for name in ("ana-silva", "cleo-dube"):
        assert page_file(clinic, name, "index.html").is_file()
    assert not [p for p in (clinic / "output").rglob("*") if p.name.startswith(".staging-")]


def test_a_profile_that_fails_on_a_worker_fails_alone_in_one_line(
    clinic: Path, scheduler: str
) -> None:
    write(
        clinic,
        "templates/overview.html",
        """\
        {% extends "movebook/overview.html" %}
        {% block content %}{% if person.name == "Ben Okoro" %}{{ 1/0 }}{% endif %}{% endblock %}
        """,
    )
    result = cli("build", "--no-pdf", "--scheduler", scheduler, "--project", str(clinic))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        BAR,
        "templates/overview.html:2: ZeroDivisionError: division by zero "
        "(rendering profiles/ben-okoro.yaml)",
    ]
    assert result.stdout.startswith("1 booklet built, 1 failed in ")
    assert page_file(clinic, "ana-silva", "index.html").is_file()
    assert not booklet_folder(clinic, "ben-okoro").exists()


def test_unchanged_patients_are_skipped_before_anything_is_sent(
    clinic: Path, scheduler: str
) -> None:
    assert built(publish.build(clinic, pdf=False, scheduler=scheduler)) == {
        "ana-silva",
        "ben-okoro",
    }
    write(clinic, "profiles/ben-okoro.yaml", BEN.replace("nprs: 6", "nprs: 4"))
    assert built(publish.build(clinic, pdf=False, scheduler=scheduler)) == {"ben-okoro"}
    # Nothing to render: no scheduler is asked, not even one that is not there.
    unreachable = "tcp://127.0.0.1:9"
    assert built(publish.build(clinic, pdf=False, scheduler=unreachable)) == set()


def test_the_setting_names_the_scheduler_and_the_option_wins(clinic: Path, scheduler: str) -> None:
    config = clinic / "movebook.yaml"
    config.write_text(config.read_text() + f"build:\n  scheduler: {scheduler}\n")
    assert built(publish.build(clinic, ["ana-silva"], pdf=False)) == {"ana-silva"}
    config.write_text(config.read_text().replace(scheduler, "tcp://127.0.0.1:9"))
    result = publish.build(clinic, ["ben-okoro"], pdf=False, scheduler=scheduler)
    assert built(result) == {"ben-okoro"}


def test_the_preview_builds_here_whatever_the_setting(clinic: Path) -> None:
    """movebook serve passes publish.HERE: its rebuilds never wait on, or fail for, a cluster
    that build.scheduler names."""
    config = clinic / "movebook.yaml"
    config.write_text(config.read_text() + "build:\n  scheduler: tcp://127.0.0.1:9\n")
    assert built(publish.build(clinic, pdf=False, scheduler=publish.HERE)) == {
        "ana-silva",
        "ben-okoro",
    }


def test_task_keys_say_nothing_about_a_patient(clinic: Path, scheduler: str) -> None:
    with Client(scheduler) as client:
        before = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.transition_log))
        publish.build(clinic, pdf=False, scheduler=scheduler)
        keys = client.run_on_scheduler(
            lambda dask_scheduler: sorted({str(t[0]) for t in dask_scheduler.transition_log})
        )
    assert before >= 0
    assert keys
    for key in keys:
        assert "ana" not in key and "ben" not in key and "okoro" not in key, key


@pytest.mark.parametrize(
    ("address", "line"),
    [
        (
            "http://scheduler:8786",
            "--scheduler: expected local or a Dask scheduler's address like tcp://host:8786, "
            "got 'http://scheduler:8786'",
        ),
        (
            "tcp://127.0.0.1:9",
            "--scheduler: cannot use the Dask scheduler at tcp://127.0.0.1:9: Timed out trying "
            "to connect to tcp://127.0.0.1:9 after 1 s",
        ),
    ],
    ids=["not-an-address", "nobody-there"],
)
def test_a_bad_scheduler_is_one_line_and_nothing_is_written(
    clinic: Path, address: str, line: str
) -> None:
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = cli("build", "--no-pdf", "--scheduler", address, "--project", str(clinic))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [line]
    assert not (clinic / "output").exists()


def test_a_bad_scheduler_setting_names_its_line(clinic: Path) -> None:
    config = clinic / "movebook.yaml"
    lines = config.read_text().count("\n")
    config.write_text(config.read_text() + "build:\n  scheduler: tcp://scheduler\n")
    result = cli("build", "--no-pdf", "--project", str(clinic))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"movebook.yaml:{lines + 2}: build.scheduler: expected local or a Dask scheduler's "
        "address like tcp://host:8786, got 'tcp://scheduler'"
    ]


def test_a_build_without_a_scheduler_does_not_import_dask(clinic: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from movebook import publish; "
        f"publish.build(Path({str(clinic)!r}), pdf=False, jobs=2); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert run.stdout == "[]\n"


def test_a_worker_with_another_movebook_refuses_the_work(project: Path) -> None:
    from movebook import cluster
    from movebook.project import load_project

    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    loaded = load_project(project)
    shared = cluster.Shared(loaded.config, loaded.library, SITE_SECRET, False, "another")
    bundle = cluster.project_bundle(project, loaded.config)
    refused = cluster._render(bundle, shared, loaded.profiles["ana-silva"], {})
    assert refused == (
        "profiles/ana-silva.yaml: could not render the booklet: the Dask worker on "
        f"{os.uname().nodename} runs another movebook or renderer version than this build "
        "(install the same on every worker)"
    )
