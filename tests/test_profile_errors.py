"""Every kind of bad profile is reported on one line with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOOD_PROFILE, problems, write

P = "profiles/ana-silva.yaml"


def check(project: Path, text: str | bytes, name: str = "ana-silva") -> list[str]:
    write(project, f"profiles/{name}.yaml", text)
    return problems(project, "profiles/")


def test_good_profile_has_no_problems(project: Path) -> None:
    assert check(project, GOOD_PROFILE) == []


def test_yaml_syntax_error(project: Path) -> None:
    text = GOOD_PROFILE.replace("    phase: 1\n", "    phase: [1\n")
    assert check(project, text) == [
        f"{P}:6: expected valid YAML, got did not find expected ',' or ']'"
    ]


def test_duplicate_key(project: Path) -> None:
    text = GOOD_PROFILE.replace("    phase: 1\n", "    phase: 1\n    phase: 2\n")
    assert check(project, text) == [
        f"{P}:6: assessments[0].phase: duplicate key (first set at line 5; "
        "YAML would silently keep only the last)"
    ]


def test_unknown_key_suggests_the_right_one(project: Path) -> None:
    text = GOOD_PROFILE.replace("    measures:", "    mesures:")
    assert check(project, text) == [
        f"{P}:11: assessments[0].mesures: expected a known key, got 'mesures' "
        "(did you mean 'measures'?)"
    ]


def test_unknown_top_level_key(project: Path) -> None:
    text = GOOD_PROFILE.replace("name: Ana Silva\n", "name: Ana Silva\nprefered_name: Ana\n")
    assert check(project, text) == [
        f"{P}:3: prefered_name: expected a known key, got 'prefered_name' "
        "(did you mean 'preferred_name'?)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("phase: 1", "phase: '1'", "5: assessments[0].phase: expected a whole number, got '1'"),
        ("phase: 1", "phase: 1.5", "5: assessments[0].phase: expected a whole number, got 1.5"),
        ("name: Ana Silva", "name: [Ana]", "2: name: expected text, got a list"),
        (
            "nprs: 6,",
            "nprs: six,",
            "11: assessments[0].measures.nprs: expected a whole number, got 'six'",
        ),
        (
            "      findings:\n",
            "      findings: apical_breathing\n      old_findings:\n",
            "8: assessments[0].signature.findings: expected a list, got 'apical_breathing'",
        ),
    ],
)
def test_wrong_types(project: Path, old: str, new: str, expected: str) -> None:
    found = check(project, GOOD_PROFILE.replace(old, new, 1))
    assert f"{P}:{expected}" in found


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("phase: 1", "phase: 7", "5: assessments[0].phase: expected 1-4, got 7"),
        ("phase: 1", "phase: 0", "5: assessments[0].phase: expected 1-4, got 0"),
        ("nprs: 6", "nprs: 11", "11: assessments[0].measures.nprs: expected 0-10, got 11"),
        ("odi: 42", "odi: 104", "11: assessments[0].measures.odi: expected 0-100, got 104.0"),
        (
            '"Lift Leo": 3',
            '"Lift Leo": 12',
            "11: assessments[0].measures.psfs['Lift Leo']: expected 0-10, got 12",
        ),
    ],
)
def test_out_of_range_values(project: Path, old: str, new: str, expected: str) -> None:
    assert check(project, GOOD_PROFILE.replace(old, new)) == [f"{P}:{expected}"]


def test_impossible_date(project: Path) -> None:
    text = GOOD_PROFILE.replace("2026-09-02", "2026-02-30")
    assert check(project, text) == [
        f"{P}:4: assessments[0].date: expected a real calendar date, got '2026-02-30'"
    ]


def test_date_in_wrong_format(project: Path) -> None:
    text = GOOD_PROFILE.replace("2026-09-02", "02/09/2026")
    assert check(project, text) == [
        f"{P}:4: assessments[0].date: expected a date as YYYY-MM-DD, got '02/09/2026'"
    ]


def test_assessment_dates_must_increase(project: Path) -> None:
    second = """\
  - date: 2026-08-01
    phase: 1
    signature: {findings: [apical_breathing]}
"""
    assert check(project, GOOD_PROFILE + second) == [
        f"{P}:14: assessments[1].date: expected a date after 2026-09-02 "
        "(the assessment before), got 2026-08-01"
    ]


def test_id_must_match_the_file_name(project: Path) -> None:
    assert check(project, GOOD_PROFILE.replace("id: ana-silva", "id: ana")) == [
        f"{P}:1: id: expected 'ana-silva' (the file name), got 'ana'"
    ]


@pytest.mark.parametrize("bad", ["../ana", "ana silva", "Ana", "ana/silva"])
def test_id_must_be_a_safe_slug(project: Path, bad: str) -> None:
    text = GOOD_PROFILE.replace("id: ana-silva", f"id: '{bad}'")
    assert check(project, text) == [
        f"{P}:1: id: expected a safe id (lower-case letters, digits and single hyphens), "
        f"got '{bad}'"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "- apical_breathing",
            "- apical_breething",
            "9: assessments[0].signature.findings[0].id: expected a known finding, "
            "got 'apical_breething' (did you mean 'apical_breathing'?)",
        ),
        (
            "task: lift_child",
            "task: lift_kid",
            "13: assessments[0].goals[0].task: expected a known goal task, got 'lift_kid' "
            "(did you mean 'lift_child'?)",
        ),
        (
            "directional_preference: extension",
            "directional_preference: extention",
            "7: assessments[0].signature.directional_preference: expected a known directional "
            "preference, got 'extention' (did you mean 'extension'?)",
        ),
    ],
)
def test_unknown_vocabulary_ids(project: Path, old: str, new: str, expected: str) -> None:
    assert check(project, GOOD_PROFILE.replace(old, new)) == [f"{P}:{expected}"]


def test_unknown_precaution_and_red_flag(project: Path) -> None:
    text = GOOD_PROFILE.replace(
        "name: Ana Silva\n", "name: Ana Silva\nprecautions: [osteoporsis]\nred_flags: [fevr]\n"
    )
    assert check(project, text) == [
        f"{P}:3: precautions[0]: expected a known precaution, got 'osteoporsis' "
        "(did you mean 'osteoporosis'?)",
        f"{P}:4: red_flags[0]: expected a known red flag, got 'fevr' (did you mean 'fever'?)",
    ]


def test_side_on_a_finding_without_sides(project: Path) -> None:
    text = GOOD_PROFILE.replace("- apical_breathing", "- {id: apical_breathing, side: left}")
    assert check(project, text) == [
        f"{P}:9: assessments[0].signature.findings[0].side: expected no side "
        "('apical_breathing' is not a sided finding), got 'left'"
    ]


def test_overrides_must_name_real_exercises(project: Path) -> None:
    overrides = """\
    overrides:
      include: [dead-bugg]
      exclude: [goblet-squat]
      dose: {glute-bridg: {sets: 2}}
"""
    assert check(project, GOOD_PROFILE + overrides) == [
        f"{P}:15: assessments[0].overrides.include[0]: expected an exercise in the library, "
        "got 'dead-bugg' (did you mean 'dead-bug'?)",
        f"{P}:17: assessments[0].overrides.dose['glute-bridg']: expected an exercise in the "
        "library, got 'glute-bridg' (did you mean 'glute-bridge'?)",
    ]


def test_missing_required_keys(project: Path) -> None:
    assert check(project, "id: ana-silva\n") == [
        f"{P}:1: assessments: expected a value (required), got nothing",
        f"{P}:1: name: expected a value (required), got nothing",
    ]


def test_no_assessments(project: Path) -> None:
    assert check(project, "id: ana-silva\nname: Ana\nassessments: []\n") == [
        f"{P}:3: assessments: expected at least 1 entry, got none"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(project: Path, text: str) -> None:
    assert check(project, text) == [f"{P}:1: expected YAML content, got an empty document"]


def test_binary_file(project: Path) -> None:
    assert check(project, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == [
        f"{P}:1: expected a UTF-8 text file, got binary data"
    ]


def test_text_that_is_not_utf8(project: Path) -> None:
    text = GOOD_PROFILE.replace("Ana Silva", "Ana Silv\xe1").encode("latin-1")
    assert check(project, text) == [
        f"{P}:2: expected a UTF-8 text file, got bytes that are not UTF-8"
    ]


def test_top_level_must_be_a_mapping(project: Path) -> None:
    assert check(project, "- id: ana-silva\n") == [f"{P}:1: expected a mapping, got a list"]


def test_python_tags_are_refused(project: Path) -> None:
    text = GOOD_PROFILE.replace("name: Ana Silva", "name: !!python/object/apply:os.system [ls]")
    assert check(project, text) == [
        f"{P}:2: expected plain data, got the tag 'tag:yaml.org,2002:python/object/apply:os.system'"
    ]
    scalar = GOOD_PROFILE.replace("name: Ana Silva", "name: !!python/name:os.system ''")
    assert check(project, scalar) == [
        f"{P}:2: expected a plain value, got the tag 'tag:yaml.org,2002:python/name:os.system'"
    ]


def test_every_error_is_collected_before_aborting(project: Path) -> None:
    text = GOOD_PROFILE.replace("phase: 1", "phase: 9").replace("nprs: 6", "nprs: 60")
    write(project, "profiles/bo.yaml", "id: bo\nname: Bo\nassessments: []\n")
    assert check(project, text) == [
        "profiles/ana-silva.yaml:5: assessments[0].phase: expected 1-4, got 9",
        "profiles/ana-silva.yaml:11: assessments[0].measures.nprs: expected 0-10, got 60",
        "profiles/bo.yaml:3: assessments: expected at least 1 entry, got none",
    ]


def test_norway_stays_a_language_code(project: Path) -> None:
    text = GOOD_PROFILE.replace("name: Ana Silva\n", "name: Ana Silva\nlanguage: no\n")
    assert check(project, text) == []
