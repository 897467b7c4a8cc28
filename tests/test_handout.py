"""The printed handout's shape: page 1 is the day's program, cards are short and never split,
a handout stays short, and a clinic can print the summary only."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from pypdf import PdfReader

from conftest import bundled_copy, problems
from movebook.course import plan_course
from movebook.plan import Plan
from movebook.plan.dose import with_load_limit
from movebook.project import Project, load_project
from movebook.render import (
    TRACKER_FIRST,
    render_booklet,
    render_pdf,
    rule_stop_signs,
    shared_stop_signs,
)
from movebook.wording import Words

REPO = Path(__file__).resolve().parents[1]
PATIENTS = ("kwame-mensah", "maria-lopez", "aurelio-bianchi")  # phase 1, phase 3, chair only
SAMPLES = sorted(  # every bundled patient with a program (not the one told to see a doctor)
    path.stem
    for path in (REPO / "profiles").glob("*.yaml")
    if not yaml.safe_load(path.read_text()).get("red_flags")
)
LINK = "https://booklets.example/p/0123456789abcdef/#k=" + "k" * 43  # a private link's length


def handout_pages(project: Project, name: str, pdf_path: Path) -> list[str]:
    """The handout as a patient gets it (site.base_url is set: with its QR code), one string of
    text a page."""
    profile = project.profiles[name]
    booklet = render_booklet(project.root, project.config, project.library, profile, link=LINK)
    pdf_path.write_bytes(render_pdf(booklet, project.config, project.root))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(pdf_path).pages]


def plan_of(project: Project, name: str) -> Plan:
    config = project.config
    visits = plan_course(
        project.profiles[name], project.library, config.defaults.equipment, config.budget
    )
    return visits[-1].plan


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(REPO)


@pytest.fixture(scope="module")
def handouts(project: Project, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("handouts")
    return {name: handout_pages(project, name, folder / f"{name}.pdf") for name in PATIENTS}


@pytest.mark.parametrize("name", PATIENTS)
def test_page_one_lists_every_session_and_exercise_with_its_dose(
    project: Project, handouts: dict[str, list[str]], name: str
) -> None:
    words = Words(project.profiles[name].language or project.config.defaults.language)
    first = handouts[name][0]
    assert "Your day" in first and "Page" not in first
    for session in plan_of(project, name).sessions:
        assert words.session_name(session) in first, session.id
        for planned in session.exercises:
            assert planned.exercise.meta.title in first, planned.id
            assert words.amount(planned.dose) in first, planned.id


@pytest.mark.parametrize("name", PATIENTS)
def test_cards_are_never_split_across_pages(
    project: Project, handouts: dict[str, list[str]], name: str
) -> None:
    pages = handouts[name]
    words = Words(project.profiles[name].language or project.config.defaults.language)
    for planned in plan_of(project, name).exercises():
        # the card's breathing line is in its last column: the page holding it holds the
        # card's title and its first section too
        breathing = re.sub(r"\s+", " ", planned.exercise.meta.breathing)[:40]
        holding = [text for text in pages[1:] if breathing in text]
        assert holding, planned.id
        assert planned.exercise.meta.title in holding[0], planned.id
        assert words.amount(planned.dose) in holding[0] and "Set-up" in holding[0], planned.id


# The progress section, with the sections inside it, up to the first session's cards.
PROGRESS = re.compile(
    r'<section class="progress" id="progress">.*?(?=<section class="session")', re.DOTALL
)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_handout_is_at_most_16_pages_and_12_without_its_progress_section(
    project: Project, name: str
) -> None:
    booklet = render_booklet(project.root, project.config, project.library, project.profiles[name])
    whole = render_pdf(booklet, project.config, project.root)
    assert len(PdfReader(io.BytesIO(whole)).pages) <= 16
    assert PROGRESS.search(booklet.handout), "no progress section to leave out"
    short = render_pdf(booklet, project.config, project.root, PROGRESS.sub("", booklet.handout))
    assert len(PdfReader(io.BytesIO(short)).pages) <= 12


def test_the_summary_layout_prints_the_program_warning_signs_and_tracker(tmp_path: Path) -> None:
    root = bundled_copy(tmp_path)
    config = yaml.safe_load((root / "movebook.yaml").read_text())
    config["pdf"] = {"page_size": "A4", "layout": "summary"}
    (root / "movebook.yaml").write_text(yaml.safe_dump(config))
    pages = handout_pages(load_project(root), "maria-lopez", tmp_path / "summary.pdf")
    assert len(pages) == 3
    assert "Your day" in pages[0]
    assert "When to contact your clinician" in pages[1]
    assert "Your four-week tracker" in pages[2]
    assert not any("Small steps forward" in page or "Contents" in page for page in pages)


def test_an_unknown_layout_is_named_in_one_line(tmp_path: Path) -> None:
    root = bundled_copy(tmp_path)
    path = root / "movebook.yaml"
    path.write_text(path.read_text().replace("page_size: A4", "page_size: A4\n  layout: short"))
    assert problems(root) == [
        "movebook.yaml:16: pdf.layout: expected one of 'full' or 'summary', got 'short'"
    ]


def tracker_boxes(handout: str, label: str) -> list[int] | str:
    """How many tick boxes the tracker's row for `label` draws in each day's column, read
    from where the row's background image draws them; or the occasion its cell names."""
    tracker = handout[handout.index('id="tracker"') :]
    row = re.search(
        rf'<tr class="(tracker-row-\d+)">\s*<th scope="row">{re.escape(label)}</th>\s*'
        r'<td class="days" colspan="7">(?:<span class="occasion">([^<]*)</span>)?</td>',
        tracker,
    )
    assert row, label
    image = re.search(
        rf'\.{row[1]} {{ background: [^}}]* url\("data:image/svg\+xml,([^"]+)"\)', handout
    )
    if row[2]:
        assert image is None, label
        return row[2]
    assert image, label
    svg = unquote(image[1])
    width = float(re.search(r"viewBox='0 0 ([\d.]+) ", svg)[1])  # type: ignore[index]
    day = (100 - TRACKER_FIRST) / 7
    counts = [0] * 7
    for x in re.findall(r"M([\d.]+) [\d.]+h46v46h-46z", svg):
        counts[int(((float(x) + 23) / width * 100 - TRACKER_FIRST) // day)] += 1
    return counts


@pytest.mark.parametrize("name", PATIENTS)
def test_the_tracker_has_a_box_for_each_time_a_session_is_done(project: Project, name: str) -> None:
    """Each week, each session's row has, in each day's column the week's rhythm does it, as
    many tick boxes as it is done that day (Kwame's reset every two hours: five), and none in
    the others. The day's practice has a row an item, boxed as often as that one is done
    (Aurelio's walks: two a day); one done only on an occasion names it and has no boxes."""
    plan = plan_of(project, name)
    booklet = render_booklet(project.root, project.config, project.library, project.profiles[name])
    words = Words(project.profiles[name].language or project.config.defaults.language)
    for session in plan.sessions:
        days = [session.id in ids for ids in plan.weekly_rhythm]
        if session.id != "practice":
            counts = tracker_boxes(booklet.handout, words.session_name(session))
            assert counts == [session.per_day or 1 if on else 0 for on in days], session.id
            continue
        for planned in session.exercises:
            meta = planned.exercise.meta
            counts = tracker_boxes(booklet.handout, meta.title)
            if meta.occasion:
                assert counts == meta.occasion, planned.id
            else:
                often = planned.dose.per_day or 1
                assert counts == [often if on else 0 for on in days], planned.id


def test_a_walk_twice_a_day_has_two_boxes_a_day(project: Project) -> None:
    plan = plan_of(project, "aurelio-bianchi")
    booklet = render_booklet(
        project.root, project.config, project.library, project.profiles["aurelio-bianchi"]
    )
    practice = next(session for session in plan.sessions if session.id == "practice")
    walk = next(p for p in practice.exercises if p.exercise.meta.title == "Walking plan")
    assert walk.dose.per_day == 2
    assert tracker_boxes(booklet.handout, "Walking plan") == [2] * 7


SHARED = (
    "Pain spreads into your buttock or leg, or further down it than before, or you feel new "
    "pins and needles or numbness.",
    "Your back pain is sharper than when you started, or stays worse after you rest.",
)
POINTER = (
    "Also stop for the signs under “One rule for every exercise”, near the start of this booklet."
)


@pytest.mark.parametrize("name", PATIENTS)
def test_the_stop_signs_most_exercises_share_are_printed_once(
    project: Project, handouts: dict[str, list[str]], name: str
) -> None:
    """The two stop signs nearly every exercise lists are printed once, in the rule for every
    exercise, beside the way to the warning signs; the card of each exercise that lists them
    keeps its own signs and points there, and no other card does. A patient with narrowed
    nerve canals reads the leg sign reworded for him (his usual tingling legs on a walk are
    expected: rule_stop_signs). The web pages, one exercise a page, keep every sign."""
    assert shared_stop_signs(project.library) == SHARED
    pages = handouts[name]
    text = " ".join(pages)
    findings = [f.id for f in project.profiles[name].latest.signature.findings]
    printed = rule_stop_signs(SHARED, findings, project.library)  # stenosis: its own sign
    for sign in printed:
        assert text.count(sign) == 1, sign
    rule = text[text.index("One rule for every exercise") :]
    lead = "For every exercise whose card points here, stop if:"
    assert rule.index(lead) < rule.index(printed[0]) < rule.index(printed[1])
    warnings = next(
        n for n, page in enumerate(pages, 1) if "When to contact your clinician" in page[:80]
    )
    assert f"or get help at once: When to contact your clinician, page {warnings}." in rule
    plan = plan_of(project, name)
    booklet = render_booklet(project.root, project.config, project.library, project.profiles[name])
    sharing = {
        planned.id
        for session in plan.sessions
        for planned in session.exercises
        if SHARED[0] in " ".join(planned.exercise.sections["Stop if"].split())
        or SHARED[1] in " ".join(planned.exercise.sections["Stop if"].split())
    }
    cards = re.findall(
        r'<article class="card block-[\w-]+" id="exercise-([\w-]+)">(.*?)</article>',
        booklet.handout,
        re.S,
    )
    assert cards
    for exercise, card in cards:
        shown = " ".join(re.sub(r"<[^>]+>", " ", card).split())
        assert (POINTER in shown) == (exercise in sharing), exercise
    assert text.count(POINTER) == sum(exercise in sharing for exercise, _ in cards)
    for exercise_id in sharing:
        page = booklet.pages[f"exercise-{exercise_id}.html"]
        assert any(sign in " ".join(page.split()) for sign in SHARED), exercise_id


def test_a_stop_sign_is_shared_when_a_quarter_of_the_exercises_list_it(project: Project) -> None:
    library = project.library
    exercises = dict(library.exercises)
    rare = "You feel dizzy or short of breath. Breathe normally until it passes."
    assert rare not in shared_stop_signs(library)
    for key in list(exercises)[: len(exercises) // 4 + 1]:
        old = exercises[key]
        sections = {**old.sections, "Stop if": old.sections["Stop if"] + f"\n- {rare}"}
        exercises[key] = dataclasses.replace(old, sections=sections)
    assert rare in shared_stop_signs(dataclasses.replace(library, exercises=exercises))


@pytest.mark.parametrize("name", SAMPLES)
def test_the_whole_day_fits_page_one_with_its_qr_code(project: Project, name: str) -> None:
    """As a build makes it (site.base_url set, so with the QR code), page 1 ends with the day's
    last exercise and the rule under it, and the contents start page 2: a long day (Aurelio's
    five sessions) is set tighter, not spilled over onto a page of its own."""
    profile = project.profiles[name]
    booklet = render_booklet(project.root, project.config, project.library, profile, link=LINK)
    pages = PdfReader(io.BytesIO(render_pdf(booklet, project.config, project.root))).pages
    first, second = (" ".join(page.extract_text().split()) for page in pages[:2])
    words = Words(profile.language or project.config.defaults.language)
    last = re.findall(r'<span class="program-exercise">([^<]*)</span>', booklet.handout)[-1]
    assert last in first and " ".join(words.stop_rule().split()) in first
    assert second.startswith(words.gettext("Contents"))
    # the rule for every exercise is printed once: as the end of page 1 if it has room, else
    # at the top of the pages to read once, before the first card
    said = words.gettext(  # said only there
        "Some discomfort is fine if it settles within a day. Sharp, spreading or lasting pain"
        " is a reason to stop and step back."
    ).split(". ")[0]
    texts = [" ".join(page.extract_text().split()) for page in pages]
    holding = [number for number, text in enumerate(texts) if said in text]
    assert len(holding) == 1 and holding[0] <= 2, holding
    cards = next(n for n, text in enumerate(texts) if re.search(r"\b1 · ", text) and n > 0)
    assert holding[0] <= cards


def test_page_one_ends_with_the_stop_signs_and_the_patients_precautions(
    project: Project,
) -> None:
    # Fatima's day leaves room for the rule; her osteoporosis caution is under her program
    profile = project.profiles["fatima-al-sayed"]
    booklet = render_booklet(project.root, project.config, project.library, profile, link=LINK)
    first = " ".join(
        PdfReader(io.BytesIO(render_pdf(booklet, project.config, project.root)))
        .pages[0]
        .extract_text()
        .split()
    )
    signs = shared_stop_signs(project.library)
    assert "One rule for every exercise" in first
    assert all(" ".join(sign.split()) in first for sign in signs)
    known = with_load_limit(project.library, profile).vocabulary.precautions  # "3 kg", hers
    plan = plan_of(project, "fatima-al-sayed")
    cautions = [known[name].patient for name, p in plan.precautions if p.patient]
    assert cautions and first.count("Take care:") == len(cautions)
    for caution in cautions:
        assert f"Take care: {' '.join(caution.split())}" in first
    assert "When to contact your clinician, page" in first


def test_a_cue_on_page_one_is_the_movement_not_its_lead_in(
    handouts: dict[str, list[str]],
) -> None:
    """Page 1's cue is a sentence of the movement itself: "Shift your weight slowly from one
    foot to the other.", not "Use these in any order:" or a sentence opening with "Then"."""
    first = handouts["aurelio-bianchi"][0]
    assert (
        "Stand with shifting support Shift your weight slowly from one foot to the other." in first
    )
    assert "Use these in any order" not in first and " Then " not in first


@pytest.mark.parametrize(
    ("language", "rhythm", "rows"),
    [
        ("en", (("main", "am"),) * 7, ["Every day"]),
        (
            "en",
            (("main",), ("am",), ("main",), ("am",), ("main",), ("am",), ("am",)),
            ["Monday, Wednesday, and Friday", "Tuesday, Thursday, Saturday, and Sunday"],
        ),
        ("en", (("main",),) * 5 + (("am",),) * 2, ["Monday to Friday", "Saturday and Sunday"]),
        ("es", (("main",),) * 5 + (("am",),) * 2, ["De lunes a viernes", "Sábado y domingo"]),
        ("es", (("main",),) * 7, ["Todos los días"]),
    ],
)
def test_the_week_at_a_glance_has_a_row_for_each_kind_of_day(
    language: str, rhythm: tuple[tuple[str, ...], ...], rows: list[str]
) -> None:
    groups = Words(language).week_groups(rhythm)
    assert [label for label, _ in groups] == rows
    assert [ids for _, ids in groups] == list(dict.fromkeys(rhythm))


@pytest.mark.parametrize("name", PATIENTS)
def test_the_printed_week_names_every_day_once_and_each_kind_of_day_once(
    project: Project, name: str
) -> None:
    booklet = render_booklet(project.root, project.config, project.library, project.profiles[name])
    week = booklet.handout[booklet.handout.index('id="week"') :]
    week = week[: week.index("</table>")]
    kinds = set(plan_of(project, name).weekly_rhythm)
    assert week.count('<th scope="row">') == len(kinds)
    for day in Words("en").day_names():
        assert week.count(day) == 1, day


def test_a_first_visit_prints_its_scores_without_a_chart_of_one_dot(project: Project) -> None:
    # Kwame has been assessed once; Maria three times
    first = render_booklet(
        project.root, project.config, project.library, project.profiles["kwame-mensah"]
    )
    progress = PROGRESS.search(first.handout)
    assert progress is not None
    assert "Your measures at the start" in progress[0]
    assert "<svg" not in progress[0] and 'class="chart"' not in progress[0]
    assert "Nov 12, 2026" in progress[0] or "November 12, 2026" in progress[0]
    later = render_booklet(
        project.root, project.config, project.library, project.profiles["maria-lopez"]
    )
    progress = PROGRESS.search(later.handout)
    assert progress is not None
    assert "Your measures over time" in progress[0] and 'class="chart"' in progress[0]


def test_a_one_sided_drill_says_which_side_its_figure_shows(project: Project) -> None:
    # Kwame glides to his left only: his figure is drawn on his left, and says so
    plan = plan_of(project, "kwame-mensah")
    sided = {p.id: p.dose.only_side for p in plan.exercises() if p.dose.only_side}
    assert sided == {"wall-side-glide": "left"}
    booklet = render_booklet(
        project.root, project.config, project.library, project.profiles["kwame-mensah"]
    )
    cards = re.findall(r'<article class="card [^"]*" id="exercise-([^"]+)">(.*?)</article>',
                       booklet.handout, re.DOTALL)  # fmt: skip
    labelled = {card for card, html in cards if "figure-side" in html}
    assert labelled == {"wall-side-glide"}
    glide = dict(cards)["wall-side-glide"]
    assert "Shown on your left side" in glide and "right side" not in glide
