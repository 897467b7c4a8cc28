"""The bundled sample patients cover what a clinic meets, and the schema describes them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO
from movebook.load import load_project_sources, parse_yaml
from movebook.model import Profile
from movebook.project import Project, load_project
from movebook.schema import SCHEMA_FILE, render_schema
from movebook.validate import build_context

PROFILE_FILES = sorted((REPO / "profiles").glob("*.yaml"))


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(REPO)


@pytest.fixture(scope="module")
def profiles(project: Project) -> list[Profile]:
    return list(project.profiles.values())


def test_at_least_8_patients(profiles: list[Profile]) -> None:
    assert len(profiles) >= 8


def test_every_phase_is_someone_s_current_phase(profiles: list[Profile]) -> None:
    assert {p.latest.phase for p in profiles} == {1, 2, 3, 4}


def test_every_directional_preference_appears(project: Project, profiles: list[Profile]) -> None:
    used = {a.signature.directional_preference for p in profiles for a in p.assessments}
    assert set(project.library.vocabulary.directions) <= used


def test_special_cases(profiles: list[Profile]) -> None:
    assert [p.id for p in profiles if p.equipment == ["chair"]], "a chair-only patient"
    assert [p.id for p in profiles if p.precautions and not p.red_flags], "a precaution case"
    assert [p.id for p in profiles if p.red_flags], "a red-flag case"
    assert len([p for p in profiles if len(p.assessments) >= 2]) >= 2, "reassessed patients"


def test_every_finding_is_used_by_some_patient(project: Project, profiles: list[Profile]) -> None:
    used = {f.id for p in profiles for a in p.assessments for f in a.signature.findings}
    assert set(project.library.vocabulary.findings) - used == set()


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.name)
def test_profiles_point_editors_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=profile.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    """Regenerate with `movebook schema` after changing the vocabulary."""
    expected = render_schema(build_context(load_project_sources(REPO)))
    assert (REPO / SCHEMA_FILE).read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.name)
def test_schema_accepts_every_sample_profile(path: Path) -> None:
    schema = json.loads((REPO / SCHEMA_FILE).read_text(encoding="utf-8"))
    # Editors read YAML dates as text, as movebook does.
    jsonschema.validate(parse_yaml(path.read_text(encoding="utf-8"), path.name).data, schema)


@pytest.mark.parametrize(
    "change",
    [
        {"phase": 7},
        {"signature": {"findings": ["not_a_finding"]}},
        {"mesures": {}},
    ],
)
def test_schema_rejects_what_check_rejects(change: dict[str, object]) -> None:
    schema = json.loads((REPO / SCHEMA_FILE).read_text(encoding="utf-8"))
    assessment = {"date": "2026-09-02", "phase": 1, "signature": {}} | change
    profile = {"id": "ana", "name": "Ana", "assessments": [assessment]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(profile, schema)
