"""What changed between assessments: MCID marks, tolerances, progressions through links, and the
history a reassessed patient's booklet keeps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, SECRET, SITE_SECRET, bundled_copy, page_file, read_page
from movebook import publish
from movebook.changes import compare_measures, compare_tolerances
from movebook.course import match_exercises, plan_course
from movebook.model import Assessment, Mcid
from movebook.project import load_project

LIBRARY = load_project(REPO).library


def assessment(day: int, **measures: Any) -> Assessment:
    tolerances = measures.pop("tolerances", {})
    return Assessment.model_validate(
        {
            "date": dt.date(2026, 9, day),
            "phase": 1,
            "signature": {"findings": []},
            "measures": measures,
            "tolerances": tolerances,
        }
    )


def change(before: Assessment, after: Assessment, measure: str, activity: str | None = None):  # type: ignore[no-untyped-def]
    found = [
        c
        for c in compare_measures(before, after, Mcid())
        if c.measure == measure and c.activity == activity
    ]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("before", "after", "meaningful", "better"),
    [
        (6, 4, True, True),
        (6, 5, False, True),
        (3, 5, True, False),
        (4, 4, False, None),
        (6, 3, True, True),
    ],
)
def test_pain_is_meaningful_from_two_points_either_way(
    before: int, after: int, meaningful: bool, better: bool | None
) -> None:
    pain = change(assessment(1, nprs=before), assessment(2, nprs=after), "nprs")
    assert pain.change == after - before
    assert pain.meaningful is meaningful
    assert pain.better is better


@pytest.mark.parametrize(
    ("before", "after", "meaningful"), [(42, 32, True), (42, 33, False), (20, 31, True)]
)
def test_oswestry_is_meaningful_from_ten_points(before: int, after: int, meaningful: bool) -> None:
    assert (
        change(assessment(1, odi=before), assessment(2, odi=after), "odi").meaningful is meaningful
    )


def test_a_clinic_can_set_its_own_oswestry_threshold() -> None:
    changes = compare_measures(assessment(1, odi=40), assessment(2, odi=32), Mcid(odi=8))
    assert next(c for c in changes if c.measure == "odi").meaningful


def test_psfs_average_needs_two_points_and_one_activity_three() -> None:
    before = assessment(1, psfs={"Lift Leo": 3, "Sit through a meeting": 4})
    after = assessment(2, psfs={"Lift Leo": 5, "Sit through a meeting": 6})
    average = change(before, after, "psfs_mean")
    assert (average.before, average.after, average.meaningful) == (3.5, 5.5, True)
    leo = change(before, after, "psfs", "Lift Leo")
    assert (leo.change, leo.meaningful, leo.better) == (2, False, True)
    later = assessment(3, psfs={"Lift Leo": 8, "Sit through a meeting": 6})
    assert change(after, later, "psfs", "Lift Leo").meaningful  # 3 points: at the threshold
    assert not change(after, later, "psfs_mean").meaningful  # 5.5 -> 7: 1.5 on average


def test_a_missing_measure_is_not_compared() -> None:
    pain = change(assessment(1, nprs=6), assessment(2), "nprs")
    assert (pain.after, pain.change, pain.meaningful, pain.better) == (None, None, False, None)
    assert [c.measure for c in compare_measures(assessment(1), assessment(2), Mcid())] == []


def test_tolerances_then_and_now_know_which_way_is_better() -> None:
    before = assessment(1, tolerances={"sitting_min": 20, "morning_stiffness_min": 45})
    after = assessment(2, tolerances={"sitting_min": 40, "morning_stiffness_min": 60})
    sitting, stiffness = compare_tolerances(before, after)
    assert (sitting.name, sitting.before, sitting.after, sitting.better) == (
        "sitting_min",
        20,
        40,
        True,
    )
    assert (stiffness.name, stiffness.better) == ("morning_stiffness_min", False)


def test_progressions_and_step_backs_are_found_through_the_library_links() -> None:
    before = ["wall-hip-hinge", "bird-dog", "dead-bug"]
    after = ["romanian-deadlift", "bird-dog", "sit-to-stand"]  # two steps up the chain
    changes = match_exercises(before, after, LIBRARY)
    kinds = {(c.kind, c.before, c.after) for c in changes}
    assert ("progressed", "wall-hip-hinge", "romanian-deadlift") in kinds
    assert ("added", None, "sit-to-stand") in kinds
    assert ("retired", "dead-bug", None) in kinds
    assert not any(c.before == "bird-dog" or c.after == "bird-dog" for c in changes)
    back = match_exercises(["hip-hinge-dowel"], ["wall-hip-hinge"], LIBRARY)
    assert [(c.kind, c.before, c.after) for c in back] == [
        ("stepped_back", "hip-hinge-dowel", "wall-hip-hinge")
    ]


def test_every_change_of_a_sample_has_its_reason_and_no_improving_patient_steps_back() -> None:
    """Continuity, as the patient reads it: each change between visits says why, and a
    patient whose measures held or improved is never stepped back."""
    project = load_project(REPO)
    reasons = {"phase", "better", "worse", "no_longer_fits", "clinician", "new", "serves",
               "resolved", "replaced", "budget"}  # fmt: skip
    seen = 0
    for profile in project.profiles.values():
        visits = plan_course(profile, project.library, project.config.defaults.equipment)
        for visit in visits[1:]:
            for change in visit.changes:
                seen += 1
                assert change.reason in reasons, (profile.id, change)
                if change.kind == "stepped_back":
                    assert change.reason in {"worse", "no_longer_fits", "clinician"}
                if change.kind == "progressed":
                    assert change.reason in {"phase", "better"}
    assert seen > 20


@pytest.fixture(scope="module")
def reassessed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """maria-lopez (three assessments) built with her handouts."""
    root = bundled_copy(tmp_path_factory.mktemp("history"))
    for profile in (root / "profiles").glob("*-*.yaml"):
        if profile.stem != "maria-lopez":
            profile.unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        assert not publish.build(root, jobs=1).failed
    return root


def test_every_assessment_keeps_its_pdf_and_its_web_booklet(reassessed: Path) -> None:
    pdfs = sorted(p.name for p in (reassessed / "output" / "pdf" / "maria-lopez").iterdir())
    assert pdfs == ["2026-09-02.pdf", "2026-09-30.pdf", "2026-11-04.pdf"]
    progress = read_page(reassessed, "maria-lopez", "progress.html")
    assert "Your earlier booklets" in progress
    for day in ("2026-09-30", "2026-09-02"):
        assert page_file(reassessed, "maria-lopez", f"{day}-index.html").is_file()
        earlier = read_page(reassessed, "maria-lopez", f"{day}-index.html")
        assert "This is your booklet from" in earlier and 'href="./index.html"' in earlier
    first = read_page(reassessed, "maria-lopez", "2026-09-02-index.html")
    assert "Phase 1 of 4" in first and "Since " not in first  # nothing before the first


def test_an_earlier_pdf_is_kept_as_it_was_issued(reassessed: Path) -> None:
    kept = reassessed / "output" / "pdf" / "maria-lopez" / "2026-09-02.pdf"
    kept.write_bytes(b"%PDF as printed in September")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        assert not publish.build(reassessed, ["maria-lopez"], pdf=True).failed
    assert kept.read_bytes() == b"%PDF as printed in September"


def test_the_booklet_and_handout_say_what_changed_with_real_changes_marked(
    reassessed: Path,
) -> None:
    progress = read_page(reassessed, "maria-lopez", "progress.html")
    assert "What changed since September 30, 2026" in progress
    assert "Better by 2: a real improvement" in progress  # pain 4 -> 2
    assert "Better by 14: a real improvement" in progress  # Oswestry 30 -> 16
    assert "You have moved on to phase 3" in progress
    assert 'role="img"' in progress and "<title" in progress  # the chart, with its table
    assert "The numbers in the chart" in progress
    from pypdf import PdfReader

    text = " ".join(
        word
        for page in PdfReader(
            reassessed / "output" / "pdf" / "maria-lopez" / "2026-11-04.pdf"
        ).pages
        for word in page.extract_text().split()
    )
    assert "What changed since September 30, 2026" in text
    assert "a real improvement" in text and "Your measures over time" in text


def test_the_link_stays_the_same_after_a_reassessment(reassessed: Path) -> None:
    assert (reassessed / "output" / "site" / "p" / SITE_SECRET.slug("maria-lopez")).is_dir()
    assert len(list((reassessed / "output" / "site" / "p").iterdir())) == 1
