"""A build leaves alone the booklets whose inputs have not changed, and only those."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import GOOD_PROFILE, booklet_folder, page_file, read_page, write
from movebook import publish
from movebook.cli import main
from movebook.site import SECRET_ENV

BEN = GOOD_PROFILE.replace("ana-silva", "ben-okoro").replace("Ana Silva", "Ben Okoro")


@pytest.fixture
def clinic(project: Path) -> Path:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "profiles/ben-okoro.yaml", BEN)
    assert rebuilt(project) == {"ana-silva", "ben-okoro"}
    return project


def rebuilt(root: Path, *wanted: str, pdf: bool = False, force: bool = False) -> set[str]:
    """Build, and say which patients were rendered (rather than left as they were)."""
    result = publish.build(root, wanted, pdf=pdf, force=force)
    assert not result.failed, result.failed
    return {outcome.profile for outcome in result.outcomes if not outcome.unchanged}


def test_nothing_changed_nothing_is_rendered_or_written(clinic: Path) -> None:
    folder = booklet_folder(clinic, "ana-silva")
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert rebuilt(clinic) == set()
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == before


def test_an_edited_profile_rebuilds_that_patient_only(clinic: Path) -> None:
    write(clinic, "profiles/ben-okoro.yaml", BEN.replace("nprs: 6", "nprs: 4"))
    assert rebuilt(clinic) == {"ben-okoro"}
    assert rebuilt(clinic) == set()


@pytest.mark.parametrize(
    "edit",
    [
        "content/exercises",  # the library
        "movebook.yaml",  # the settings
        "templates/overview.html",  # a new template
    ],
)
def test_a_shared_input_rebuilds_everyone(clinic: Path, edit: str) -> None:
    if edit == "content/exercises":
        exercise = next((clinic / edit).rglob("*.md"))
        exercise.write_text(exercise.read_text() + "\nOne more sentence.\n")
    elif edit == "movebook.yaml":
        config = clinic / edit
        config.write_text(config.read_text().replace("#2f6f62", "#23565a"))
    else:
        write(clinic, edit, '{% extends "movebook/overview.html" %}')
    assert rebuilt(clinic) == {"ana-silva", "ben-okoro"}


def test_another_site_secret_rebuilds_everyone(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "YW5vdGhlci1zaXRlLXNlY3JldC1ub3QtZm9yLXJlYWwtdXNl")
    assert rebuilt(clinic) == {"ana-silva", "ben-okoro"}


def test_a_missing_output_file_rebuilds_its_patient(clinic: Path) -> None:
    page_file(clinic, "ana-silva", "plan.html").unlink()
    assert rebuilt(clinic) == {"ana-silva"}
    assert "Your plan, phase by phase" in read_page(clinic, "ana-silva", "plan.html")


def test_handouts_wanted_after_a_no_pdf_build_are_made(clinic: Path) -> None:
    handout = clinic / "output" / "pdf" / "ana-silva" / "2026-09-02.pdf"
    assert not handout.exists()
    assert rebuilt(clinic, "ana-silva", pdf=True) == {"ana-silva"}
    assert handout.read_bytes().startswith(b"%PDF")
    assert rebuilt(clinic, "ana-silva", pdf=True) == set()
    assert rebuilt(clinic, "ana-silva", pdf=False) == set()  # the handouts are still current
    handout.unlink()
    assert rebuilt(clinic, "ana-silva", pdf=True) == {"ana-silva"}


def test_force_rebuilds_everyone(clinic: Path) -> None:
    assert rebuilt(clinic, force=True) == {"ana-silva", "ben-okoro"}


def test_a_deleted_profile_takes_its_stamp_along(clinic: Path) -> None:
    stamps = clinic / "output" / ".stamps"
    assert sorted(path.name for path in stamps.iterdir()) == ["ana-silva.json", "ben-okoro.json"]
    (clinic / "profiles" / "ben-okoro.yaml").unlink()
    assert rebuilt(clinic) == set()
    assert sorted(path.name for path in stamps.iterdir()) == ["ana-silva.json"]


def test_a_damaged_stamp_means_build_again(clinic: Path) -> None:
    (clinic / "output" / ".stamps" / "ana-silva.json").write_text("{not json")
    assert rebuilt(clinic) == {"ana-silva"}


def test_the_stamps_are_not_on_the_site(clinic: Path) -> None:
    site = clinic / "output" / "site"
    assert not any("stamp" in path.name or path.suffix == ".json" for path in site.rglob("*"))


def test_the_command_says_what_was_left_alone(clinic: Path) -> None:
    write(clinic, "profiles/ben-okoro.yaml", BEN.replace("nprs: 6", "nprs: 5"))
    project = ["--project", str(clinic)]
    result = CliRunner().invoke(main, ["build", "--no-pdf", *project])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 booklet built, 1 unchanged in ")
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--force", *project])
    assert result.stdout.startswith("2 booklets built in ")


def test_a_new_movebook_rebuilds_everyone(
    clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade may plan or render differently: movebook's own files are inputs too."""
    from movebook import stamp

    package = tmp_path / "movebook"
    write(package, "plan.py", "RULES = 1\n")
    monkeypatch.setattr(stamp, "PACKAGE", package)
    assert rebuilt(clinic) == {"ana-silva", "ben-okoro"}  # stamped by another movebook
    assert rebuilt(clinic) == set()
    write(package, "plan.py", "RULES = 2\n")
    assert rebuilt(clinic) == {"ana-silva", "ben-okoro"}


def test_a_file_that_is_not_the_builds_rebuilds_the_booklet_without_it(clinic: Path) -> None:
    stray = booklet_folder(clinic, "ana-silva") / "old-page.html"
    stray.write_text("from an older build")
    assert rebuilt(clinic) == {"ana-silva"}
    assert not stray.exists()


def test_files_half_written_by_a_killed_build_are_swept_away(clinic: Path) -> None:
    output = clinic / "output"
    leftovers = [
        write(output, "pdf/ana-silva/.staging-k3j2", b"%PDF-1.7 half"),
        write(output, ".stamps/.staging-9x1", "{"),
        write(output, "site/p/.staging-a1b2/index.html", "half"),
    ]
    assert rebuilt(clinic) == set()
    assert not any(path.exists() for path in leftovers)
    assert not (output / "site" / "p" / ".staging-a1b2").exists()


def test_nothing_changed_means_nothing_validated_again(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A no-op build of 1,000 patients must take moments: it reads each profile's bytes and
    stamp, and parses, validates and renders nothing."""

    def refuse(*args: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(publish, "validate_project", refuse)
    monkeypatch.setattr(publish, "load_yaml_file", refuse)
    monkeypatch.setattr(publish, "render_site_index", refuse)
    assert rebuilt(clinic) == set()
    assert rebuilt(clinic, "ben-okoro") == set()
    write(clinic, "profiles/ben-okoro.yaml", BEN.replace("nprs: 6", "nprs: 5"))
    with pytest.raises(AssertionError, match="validated again"):
        rebuilt(clinic)


def test_a_profile_broken_since_the_last_build_is_reported(clinic: Path) -> None:
    write(clinic, "profiles/ben-okoro.yaml", BEN.replace("phase: 1", "phase: 7"))
    result = publish.build(clinic, pdf=False)
    assert [outcome.problems for outcome in result.failed] == [
        ("profiles/ben-okoro.yaml:5: assessments[0].phase: expected 1-4, got 7",)
    ]
    assert {o.profile for o in result.outcomes if o.unchanged} == {"ana-silva"}


def test_a_damaged_site_file_is_written_again(clinic: Path) -> None:
    index = clinic / "output" / "site" / "index.html"
    before = index.read_bytes()
    index.write_bytes(before[:-10])
    assert rebuilt(clinic) == set()
    assert index.read_bytes() == before


def test_a_file_touched_but_not_changed_keeps_its_booklet(clinic: Path) -> None:
    page = page_file(clinic, "ana-silva", "plan.html")
    os.utime(page, ns=(1, 1))
    assert rebuilt(clinic) == set()
    page.write_bytes(page.read_bytes().replace(b"<", b"(", 1))  # same size, other bytes
    os.utime(page, ns=(2, 2))
    assert rebuilt(clinic) == {"ana-silva"}
