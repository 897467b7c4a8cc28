"""`movebook reassess`: a new assessment appended to the clinician's own text, nothing else."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import GOOD_PROFILE, page_file, read_page, write
from movebook import publish
from movebook.cli import main
from movebook.model import Measures
from movebook.project import load_project

PROFILE = "profiles/maria-lopez.yaml"

# Maria's profile as a clinician keeps it: comments everywhere, a blank line between visits.
MARIA = """\
# yaml-language-server: $schema=profile.schema.json
id: maria-lopez
name: Maria Lopez   # "Maria" in the booklet
preferred_name: Maria
equipment: [mat, chair, resistance_band]
precautions: [osteoporosis]   # DEXA 2025: T-score -2.6
load_limit_kg: 5
assessments:
  - date: 2026-09-02
    phase: 1
    signature:
      directional_preference: extension
      findings:
        - lumbar_hinge_dominant
        - {id: pelvic_rotation, side: left}
        - apical_breathing
    tolerances: {sitting_min: 20, standing_min: 30, walking_min: 15}
    measures:
      nprs: 6
      odi: 42
      psfs: {"Lift Leo into the car seat": 3, "Sit through a two-hour meeting": 4}
    goals:
      - {task: lift_child, label: "Lift Leo into his car seat"}
    notes: |
      Maria, your back is sore but it is not damaged.

  - date: 2026-11-04
    phase: 3
    signature:
      directional_preference: extension
      classification: "MSI: rotation-extension"   # agreed with Dr Osei
      findings:
        - lumbar_hinge_dominant
        # - thoracic_stiffness   (cleared on 2026-11-04)
        - {id: pelvic_rotation, side: left}
    # tolerances from her diary, not from the clinic
    tolerances: {sitting_min: 60, standing_min: 75, walking_min: 50,
                 morning_stiffness_min: 10}
    measures:
      nprs: 2    # on a good day
      odi: 16
      psfs: {"Lift Leo into the car seat": 7, "Sit through a two-hour meeting": 8}
    goals:
      - {task: lift_child, label: "Lift Leo into his car seat"}
      - {task: carry_luggage, label: "Get our two suitcases through the airport"}  # March
    notes: |
      Maria, your pain and your Oswestry score have both dropped.
    overrides:
      exclude: [cat-camel]   # osteoporosis: no loaded flexion
"""

LAST_DATE_LINE = MARIA.splitlines().index("  - date: 2026-11-04") + 1


@pytest.fixture
def clinic(project: Path) -> Path:
    write(project, PROFILE, MARIA)
    return project


def reassess(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["reassess", "--project", str(root), *args])


def new_line(result: Result, path: str = PROFILE) -> int:
    """The line the command says the new assessment starts on."""
    assert result.exit_code == 0, result.output
    match = re.fullmatch(
        rf"{re.escape(path)}:(\d+): new assessment \S+ \(phase \d\): fill in the measures\n",
        result.stdout,
    )
    assert match, result.stdout
    return int(match.group(1))


def test_appends_after_the_last_assessment_and_keeps_every_byte(clinic: Path) -> None:
    result = reassess(clinic, "maria-lopez", "--date", "2026-12-02")
    line = new_line(result)
    text = (clinic / PROFILE).read_text(encoding="utf-8")
    assert text.startswith(MARIA)
    added = text[len(MARIA) :]
    lines = text.splitlines()
    assert line == len(MARIA.splitlines()) + 2  # after the blank line that separates visits
    assert lines[line - 2] == ""
    assert lines[line - 1] == "  - date: 2026-12-02"
    assert lines[line] == "    phase: 3"
    # the carried-over blocks come as the clinician wrote them, comments and all
    for kept in (
        '      classification: "MSI: rotation-extension"   # agreed with Dr Osei\n',
        "        # - thoracic_stiffness   (cleared on 2026-11-04)\n",
        "    # tolerances from her diary, not from the clinic\n",
        "    tolerances: {sitting_min: 60, standing_min: 75, walking_min: 50,\n"
        "                 morning_stiffness_min: 10}\n",
        '      - {task: carry_luggage, label: "Get our two suitcases through the airport"}'
        "  # March\n",
        "    overrides:\n      exclude: [cat-camel]   # osteoporosis: no loaded flexion\n",
    ):
        assert kept in added
    assert "# on a good day" not in added  # the measures are new
    assert "your Oswestry score" not in added  # and so are the notes
    assert "    measures: {}" in added
    assert (
        '# Last measured 2026-11-04: nprs 2, odi 16, psfs "Lift Leo into the car seat" 7, '
        '"Sit through a two-hour meeting" 8' in added
    )
    assert '      #   "Lift Leo into the car seat":\n' in added
    assert '      #   "Sit through a two-hour meeting":\n' in added


def test_the_new_assessment_carries_over_the_last_one_without_measures(clinic: Path) -> None:
    new_line(reassess(clinic, "maria-lopez", "--date", "2026-12-02", "--phase", "4"))
    profile = load_project(clinic).profiles["maria-lopez"]
    before, new = profile.assessments[-2:]
    assert len(profile.assessments) == 3
    assert new.date == dt.date(2026, 12, 2)
    assert new.phase == 4
    assert new.signature == before.signature
    assert new.tolerances == before.tolerances
    assert new.goals == before.goals
    assert new.overrides == before.overrides
    assert new.measures == Measures()
    assert new.notes == ""


def test_defaults_to_today_and_the_last_phase(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("2026-09-02", "2020-01-15"))
    line = new_line(reassess(project, "ana-silva"), "profiles/ana-silva.yaml")
    new = load_project(project).profiles["ana-silva"].latest
    assert (new.date, new.phase) == (dt.date.today(), 1)
    lines = (project / "profiles/ana-silva.yaml").read_text().splitlines()
    assert lines[line - 1] == f"  - date: {dt.date.today().isoformat()}"


def test_check_and_build_pass_with_the_measures_still_empty(clinic: Path) -> None:
    new_line(reassess(clinic, "maria-lopez", "--date", "2026-12-02"))
    check = CliRunner().invoke(main, ["check", "--project", str(clinic)])
    assert check.exit_code == 0, check.output
    assert check.stdout.endswith(": no errors\n")
    result = publish.build(clinic, ["maria-lopez"], pdf=False)
    assert not result.failed, [outcome.problems for outcome in result.failed]


def movebook(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_reassess_then_build_keeps_the_link_and_says_what_is_not_measured_yet(
    clinic: Path,
) -> None:
    """The clinician's round: build, reassess at the visit, build; later, fill in the scores
    (the only hand edit) and build again. The patient's link never changes."""
    project = ("--project", str(clinic))
    movebook("build", *project, "maria-lopez")
    link = movebook("links", *project, "maria-lopez").stdout
    assert link.startswith("maria-lopez\thttps://booklets.riverside-physio.example/p/")

    new_line(movebook("reassess", *project, "maria-lopez", "--date", "2026-12-02"))
    movebook("build", *project, "maria-lopez")
    assert movebook("links", *project, "maria-lopez").stdout == link
    assert (clinic / PROFILE).read_text(encoding="utf-8").startswith(MARIA)  # comments intact
    pdfs = clinic / "output" / "pdf" / "maria-lopez"
    assert sorted(p.name for p in pdfs.iterdir()) == [
        "2026-09-02.pdf",
        "2026-11-04.pdf",
        "2026-12-02.pdf",
    ]
    overview = read_page(clinic, "maria-lopez", "index.html")
    assert "last updated on December 2, 2026" in overview
    assert "Your scores from this check-in are not in your booklet yet." in overview
    progress = read_page(clinic, "maria-lopez", "progress.html")
    assert "What changed since November 4, 2026" in progress
    assert progress.count("not measured yet") == 5  # pain, Oswestry, average, 2 activities
    assert "a real improvement" not in progress
    assert page_file(clinic, "maria-lopez", "2026-11-04-index.html").is_file()
    handout = pdf_text(pdfs / "2026-12-02.pdf")
    assert "not measured yet" in handout and "What changed since November 4, 2026" in handout

    profile = clinic / PROFILE
    text = profile.read_text(encoding="utf-8")
    scores = '{nprs: 1, odi: 4, psfs: {"Lift Leo into the car seat": 9}}'
    assert text.count("measures: {}") == 1
    profile.write_text(text.replace("measures: {}", f"measures: {scores}"), encoding="utf-8")
    movebook("build", *project, "maria-lopez")
    assert movebook("links", *project, "maria-lopez").stdout == link
    progress = read_page(clinic, "maria-lopez", "progress.html")
    assert "Better by 12: a real improvement" in progress  # Oswestry 16 -> 4
    assert progress.count("not measured yet") == 1  # the meeting, not rated this time
    assert "not in your booklet yet" not in read_page(clinic, "maria-lopez", "index.html")
    # the September and November handouts stay as they were issued
    assert sorted(p.name for p in pdfs.iterdir())[-1] == "2026-12-02.pdf"
    assert "Better by 12" in pdf_text(pdfs / "2026-12-02.pdf")


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_twice_with_later_dates(clinic: Path) -> None:
    first = new_line(reassess(clinic, "maria-lopez", "--date", "2026-12-02"))
    second = new_line(reassess(clinic, "maria-lopez", "--date", "2027-01-13", "--phase", "4"))
    text = (clinic / PROFILE).read_text(encoding="utf-8")
    assert text.startswith(MARIA)
    lines = text.splitlines()
    assert second > first
    assert lines[first - 1] == "  - date: 2026-12-02"
    assert lines[second - 1] == "  - date: 2027-01-13"
    profile = load_project(clinic).profiles["maria-lopez"]
    assert [(a.date.isoformat(), a.phase) for a in profile.assessments] == [
        ("2026-09-02", 1),
        ("2026-11-04", 3),
        ("2026-12-02", 3),
        ("2027-01-13", 4),
    ]
    # the empty visit in between does not hide what to re-measure
    assert text.count("# Last measured 2026-11-04: nprs 2, odi 16") == 2
    assert text.count("# - thoracic_stiffness   (cleared on 2026-11-04)") == 3


@pytest.mark.parametrize("date", ["2026-11-04", "2026-10-01", "2025-12-31"])
def test_refuses_a_date_not_after_the_last_assessment(clinic: Path, date: str) -> None:
    result = reassess(clinic, "maria-lopez", "--date", date)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PROFILE}:{LAST_DATE_LINE}: reassess: the new date {date} must be after the last "
        "assessment (2026-11-04)\n"
    )
    assert result.stdout == ""
    assert (clinic / PROFILE).read_text(encoding="utf-8") == MARIA


def test_refuses_today_when_the_last_assessment_is_today_or_later(project: Path) -> None:
    later = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE.replace("2026-09-02", later))
    result = reassess(project, "ana-silva")
    assert result.exit_code == 1
    assert "(today); give a later one with --date YYYY-MM-DD must be after the last " in (
        result.stderr
    )
    assert (project / "profiles/ana-silva.yaml").read_text() == GOOD_PROFILE.replace(
        "2026-09-02", later
    )


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2026/12/02", "expected a date as YYYY-MM-DD, got '2026/12/02'"),
        ("next week", "expected a date as YYYY-MM-DD, got 'next week'"),
        ("2026-2-3", "expected a date as YYYY-MM-DD, got '2026-2-3'"),
        ("2027-02-30", "expected a real calendar date as YYYY-MM-DD, got '2027-02-30'"),
    ],
)
def test_refuses_a_date_that_is_not_one(clinic: Path, date: str, message: str) -> None:
    result = reassess(clinic, "maria-lopez", "--date", date)
    assert result.exit_code == 1
    assert result.stderr == f"{PROFILE}: reassess: --date: {message}\n"
    assert (clinic / PROFILE).read_text(encoding="utf-8") == MARIA


@pytest.mark.parametrize("phase", ["0", "5", "-1"])
def test_refuses_a_phase_the_library_does_not_have(clinic: Path, phase: str) -> None:
    result = reassess(clinic, "maria-lopez", "--date", "2026-12-02", "--phase", phase)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PROFILE}: reassess: --phase: expected 1-4 (the library's phases), got {phase}\n"
    )
    assert (clinic / PROFILE).read_text(encoding="utf-8") == MARIA


def test_refuses_a_phase_that_is_not_a_number(clinic: Path) -> None:
    result = reassess(clinic, "maria-lopez", "--date", "2026-12-02", "--phase", "three")
    assert result.exit_code == 2
    assert "'three' is not a valid integer" in result.stderr
    assert (clinic / PROFILE).read_text(encoding="utf-8") == MARIA


def test_refuses_an_unknown_profile_with_a_suggestion(clinic: Path) -> None:
    result = reassess(clinic, "maria-lopes", "--date", "2026-12-02")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no profile 'maria-lopes' in {clinic / 'profiles'} (did you mean 'maria-lopez'?)\n"
    )


def test_refuses_a_profile_that_does_not_validate_and_leaves_it(clinic: Path) -> None:
    broken = MARIA.replace("    phase: 3\n", "    phase: 7\n")
    write(clinic, PROFILE, broken)
    line = broken.splitlines().index("    phase: 7") + 1
    result = reassess(clinic, "maria-lopez", "--date", "2026-12-02")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{PROFILE}:{line}: assessments[1].phase: expected 1-4, got 7",
        f"{PROFILE}: reassess: fix the profile's errors first; nothing changed",
    ]
    assert (clinic / PROFILE).read_text(encoding="utf-8") == broken


def test_another_broken_profile_does_not_stop_it(clinic: Path) -> None:
    write(clinic, "profiles/bo.yaml", "id: bo\nname: Bo\nassessments: []\n")
    new_line(reassess(clinic, "maria-lopez", "--date", "2026-12-02"))
    assert (clinic / "profiles/bo.yaml").read_text() == "id: bo\nname: Bo\nassessments: []\n"


def test_a_key_after_the_assessments_keeps_its_place(project: Path) -> None:
    """Indentless items, no blank lines: the block goes between the last item and the key."""
    original = (
        "id: ana-silva\n"
        "name: Ana Silva\n"
        "assessments:\n"
        "- date: 2026-09-02   # first visit\n"
        "  phase: 1\n"
        "  signature: {directional_preference: extension}\n"
        "  notes: |\n"
        "    Keep walking.\n"
        "# agreed by phone\n"
        "passphrase: olive harbour morning steps\n"
    )
    path = write(project, "profiles/ana-silva.yaml", original)
    path.chmod(0o640)
    line = new_line(
        reassess(project, "ana-silva", "--date", "2026-10-01"), "profiles/ana-silva.yaml"
    )
    text = path.read_text(encoding="utf-8")
    head, tail = original.split("# agreed by phone\n")
    assert text.startswith(head)
    assert text.endswith("# agreed by phone\n" + tail)
    assert text[len(head) : -len("# agreed by phone\n" + tail)] == (
        "- date: 2026-10-01\n"
        "  phase: 1\n"
        "  signature: {directional_preference: extension}\n"
        "  measures: {}  # not measured yet: the booklet says so until you fill them in\n"
        "    # Not measured at any earlier visit\n"
        "    # To fill in, replace {} above with this visit's scores:\n"
        "    # nprs:     # pain 0-10\n"
        "    # odi:      # Oswestry 0-100\n"
        "    # psfs:     # 0-10 each\n"
        "  # notes: |  # your message to the patient about this visit (Markdown)\n"
    )
    assert line == 9
    assert path.stat().st_mode & 0o777 == 0o640
    assert [name for name in os.listdir(path.parent) if name != "ana-silva.yaml"] == []
    assert load_project(project).profiles["ana-silva"].passphrase == "olive harbour morning steps"


def test_restores_the_file_if_it_does_not_validate_once_written(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from movebook import reassess as module
    from movebook.errors import Problem

    problem = Problem(PROFILE, 90, "assessments[2]", "expected something else")
    monkeypatch.setattr(module, "_check_written", lambda root, rel: [problem])
    result = reassess(clinic, "maria-lopez", "--date", "2026-12-02")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        str(problem),
        f"{PROFILE}: reassess: the profile did not validate after writing; restored it",
    ]
    assert (clinic / PROFILE).read_text(encoding="utf-8") == MARIA
    assert os.listdir(clinic / "profiles") == ["maria-lopez.yaml"]


def test_windows_line_endings_stay(project: Path) -> None:
    original = GOOD_PROFILE.replace("\n", "\r\n").encode()
    path = write(project, "profiles/ana-silva.yaml", original)
    new_line(reassess(project, "ana-silva", "--date", "2026-10-01"), "profiles/ana-silva.yaml")
    data = path.read_bytes()
    assert data.startswith(original)
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_an_include_that_does_not_fit_the_new_phase_is_left_as_a_comment(project: Path) -> None:
    original = GOOD_PROFILE + (
        "    overrides:\n"
        "      include: [prone-hip-shift]   # she likes it\n"
        "      exclude: [cat-camel]\n"
    )
    path = write(project, "profiles/ana-silva.yaml", original)
    result = reassess(project, "ana-silva", "--date", "2026-10-01", "--phase", "3")
    new_line(result, "profiles/ana-silva.yaml")
    assert result.stderr == (
        "warning: profiles/ana-silva.yaml: reassess: left the overrides of 2026-09-02 that do "
        "not fit as comments: assessments[1].overrides.include[0]: expected an exercise this "
        "patient may do, got 'prone-hip-shift': it is not used in phase 3\n"
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original)
    assert text.endswith(
        "    overrides:\n"
        "      # The include of 2026-09-02 does not fit phase 3: uncomment what does.\n"
        "      # include: [prone-hip-shift]   # she likes it\n"
        "      exclude: [cat-camel]\n"
    )
    new = load_project(project).profiles["ana-silva"].latest
    assert (new.overrides.include, new.overrides.exclude) == ([], ["cat-camel"])


@pytest.mark.parametrize(
    ("assessments", "line", "why"),
    [
        (
            "assessments: [{date: 2026-09-02, phase: 1, signature: {}}]\n",
            3,
            "the assessments are not a block list of `- date: ...` items",
        ),
        (
            "assessments:\n  - {date: 2026-09-02, phase: 1, signature: {}}\n",
            4,
            "the last assessment is not a block mapping of `key: value` lines",
        ),
    ],
)
def test_refuses_a_layout_it_cannot_append_to(
    project: Path, assessments: str, line: int, why: str
) -> None:
    original = "id: ana-silva\nname: Ana Silva\n" + assessments
    path = write(project, "profiles/ana-silva.yaml", original)
    result = reassess(project, "ana-silva", "--date", "2026-10-01")
    assert result.exit_code == 1
    assert result.stderr == (
        f"profiles/ana-silva.yaml:{line}: reassess: cannot append to this file safely: {why}; "
        "add the assessment by hand\n"
    )
    assert path.read_text(encoding="utf-8") == original


def test_has_help() -> None:
    result = CliRunner().invoke(main, ["reassess", "--help"])
    assert result.exit_code == 0
    assert "--date" in result.output
    assert "--phase" in result.output
    assert "--project" in result.output
