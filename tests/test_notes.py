"""Reading a clinician's note: every sample's latest note read as a physiotherapist reads it,
and the phrasings that could fool a word list."""

from __future__ import annotations

import dataclasses
import time
from typing import Literal

import pytest

from conftest import REPO
from movebook.notes import (
    FIRST_THING,
    MORNING,
    Avoidance,
    Mention,
    NoteReading,
    RegionAsk,
    Timing,
    read_note,
)
from movebook.project import load_project

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library

M, T = Mention, Timing


def E(event: str, **parts: int) -> Timing:
    """A timing bound to an event: its words are the trigger too, as the plan reads them."""
    return Timing(**parts, trigger=event, event=event)


# The findings a region points to, as the bundled vocabulary names them.
FINDINGS = {
    "upper back": ("thoracic_stiffness",),
    "hip": ("hip_mobility_limited", "hip_abductor_weakness", "glute_underuse"),
    "glute": ("glute_underuse", "hip_abductor_weakness"),
    "leg": ("glute_underuse", "hip_abductor_weakness", "ankle_dorsiflexion_limited"),
    "ankle": ("ankle_dorsiflexion_limited",),
    "core": ("stabilizer_timing_delay",),
}


def R(
    region: str,
    words: str,
    line: int = 1,
    *positions: str,
    side: Literal["left", "right"] | None = None,
    kind: Literal["strength", "mobility"] | None = None,
    timing: Timing | None = None,
    turning: bool = False,
) -> RegionAsk:
    return RegionAsk(region, FINDINGS[region], side, positions, kind, timing, line, words, turning)


SAMPLES = {
    "lucia-fernandez": NoteReading(),  # her notes are in Spanish: for her, not for the planner
    "amara-okonkwo": NoteReading(
        (M("glute-bridge", "bridges", 2), M("step-up", "step-ups", 2)),
    ),
    "arjun-mehta": NoteReading(
        (M("pallof-press", "band press", 3),),
        # "work on those two areas every morning", after "your upper back and left hip"
        regions=(
            R("upper back", "upper back", 2, timing=T(trigger=MORNING), turning=True),
            R("hip", "left hip", 2, side="left", timing=T(trigger=MORNING), turning=True),
        ),
    ),
    "astrid-lindqvist": NoteReading(
        (M("single-leg-rdl", "single-leg deadlifts", 3),),
        program=T(per_week=3),
        program_line=2,
        regions=(R("hip", "right hip", 3, side="right", kind="strength"),),  # "keep ... strong"
    ),
    "aurelio-bianchi": NoteReading(
        regions=(R("hip", "hips", 3, kind="strength"), R("leg", "legs", 3, kind="strength"))
    ),
    "declan-obrien": NoteReading(),
    "fatima-al-sayed": NoteReading((M("overhead-shelf-reach", "shelf reach", 2),)),
    "kwame-mensah": NoteReading(
        (M("wall-side-glide", "wall side-glide", 2, timing=T(every_min=120)),),
        avoidances=(Avoidance("flexion", "bending forward", 4),),
    ),
    "maria-lopez": NoteReading(
        (
            M("lift-to-car-seat", "car-seat lift", 3),
            M(
                "travel-seat-circuit",
                "travel-seat routine",
                4,
                timing=E("on your next long meeting"),
            ),
            M("cat-camel", "cat-camel", 4, stop=True),
        )
    ),
    "mei-lin-chen": NoteReading(
        # "Kneel beside the bath to lift Xiaobo": what the kneeling lift is also called
        (M("kneeling-lift", "Kneel beside the bath", 4),),
        # "strength in your left hip standing and side-lying": both positions, an ask each
        regions=(
            R("hip", "left hip", 3, "standing", side="left", kind="strength"),
            R("hip", "left hip", 3, "side_lying", side="left", kind="strength"),
        ),
    ),
    "priya-raman": NoteReading(
        (
            M("wall-side-glide", "side-glide", 2, timing=T(trigger=FIRST_THING)),
            # the interval is during the journey; "walk the aisle" names no exercise
            M(
                "travel-seat-circuit",
                "seat routine",
                3,
                timing=E("on the train to Leicester", every_min=30),
            ),
        )
    ),
    "rangi-parata": NoteReading(
        (
            M(
                "standing-back-extension",
                "standing back bends",
                2,
                timing=E("after any long stretch of digging or shovelling"),
            ),
        ),
        program=T(per_week=3),
        program_line=2,
    ),
    "yuki-tanaka": NoteReading(
        (
            M(
                "wall-lean-breathing",
                "breathing reset",
                3,
                timing=E("before every performance"),
            ),
        ),
        program=T(per_week=3),
        program_line=3,
    ),
}


def test_every_sample_profile_has_an_expected_reading() -> None:
    assert sorted(SAMPLES) == sorted(PROJECT.profiles)


@pytest.mark.parametrize("profile", sorted(SAMPLES))
def test_the_latest_note_of_each_sample_reads_as_the_clinician_meant(profile: str) -> None:
    assert read_note(PROJECT.profiles[profile].latest.notes, LIBRARY) == SAMPLES[profile]


def test_the_reading_s_summary_for_a_plan() -> None:
    maria = read_note(PROJECT.profiles["maria-lopez"].latest.notes, LIBRARY)
    assert [ask.exercise for ask in maria.asks] == ["lift-to-car-seat", "travel-seat-circuit"]
    assert maria.stops == {"cat-camel"}
    assert read_note(PROJECT.profiles["kwame-mensah"].latest.notes, LIBRARY).avoid == {"flexion"}
    assert read_note(PROJECT.profiles["rangi-parata"].latest.notes, LIBRARY).program_per_week == 3


def asked(note: str) -> list[tuple[str, Timing | None]]:
    return [(ask.exercise, ask.timing) for ask in read_note(note, LIBRARY).asks]


def stopped(note: str) -> set[str]:
    return set(read_note(note, LIBRARY).stops)


@pytest.mark.parametrize(
    ("note", "asks"),
    [
        # names: title, also_called, id, plural and singular, hyphen or space, any case
        ("Keep the Glute Bridge going.", ["glute-bridge"]),
        ("Three sets of step ups.", ["step-up"]),
        ("Use the pallof-press.", ["pallof-press"]),
        ("One more single leg deadlift.", ["single-leg-rdl"]),
        ("Practise the sit-to-stands.", ["sit-to-stand"]),
        ("The walk-jog interval.", ["walk-jog-intervals"]),
        ("the wall side\n  glide", ["wall-side-glide"]),
        # the longest name wins: a single-leg bridge is not a glute bridge
        ("Single-leg bridges now.", ["single-leg-bridge"]),
        ("The seated forward bend.", ["seated-forward-bend"]),
        # a name inside another word is not a name
        ("Footbridges, a stepup, bridgework and sidesteps.", []),
        ("Your back bent a little.", []),
        ("walks and hinges", []),
    ],
)
def test_names(note: str, asks: list[str]) -> None:
    assert [exercise for exercise, _ in asked(note)] == asks


@pytest.mark.parametrize(
    ("note", "timing"),
    [
        ("Do the bridges every two hours.", T(every_min=120)),
        ("Do the bridges every hour.", T(every_min=60)),
        ("Do the bridges every half hour.", T(every_min=30)),
        ("Do the bridges every half an hour.", T(every_min=30)),
        ("Do the bridges once an hour.", T(every_min=60)),
        ("Do the bridges every 90 minutes.", T(every_min=90)),
        ("Do the bridges every hour and a half.", T(every_min=90)),
        ("Do the bridges every couple of hours.", T(every_min=120)),
        ("Do the bridges hourly.", T(every_min=60)),
        ("Do the bridges three times a week.", T(per_week=3)),
        ("Do the bridges 3x a week.", T(per_week=3)),
        ("Do the bridges 3 x per week.", T(per_week=3)),
        ("Do the bridges six times a week.", T(per_week=6)),
        ("Do the bridges five days a week.", T(per_week=5)),
        ("Do the bridges twice a day.", T(per_day=2)),
        ("Do the bridges twice daily.", T(per_day=2)),
        ("Do the bridges every day.", T(per_day=1)),
        ("Do the bridges first thing.", T(trigger=FIRST_THING)),
        ("Do the bridges as your first move of the day.", T(trigger=FIRST_THING)),
        ("Do the bridges at every break.", E("at every break")),
        ("Do the bridges before each lesson, gently.", E("before each lesson")),
        ("Do the bridges every two hours, first thing too.", T(120, trigger=FIRST_THING)),
        # a timing said on its own belongs to the clause next to it
        ("Twice a day, do the bridges.", T(per_day=2)),
        ("Do the bridges, twice a day.", T(per_day=2)),
        ("Before every walk, the bridges.", E("before every walk")),
        ("After every walk do the bridges.", E("after every walk")),
        # numbers that are not a timing
        ("Do the bridges for the next six weeks.", None),
        ("Do the bridges: 3 x 8, slowly.", None),
        ("Do the bridges every few hours.", None),
        ("Do the bridges, and stand up from your desk every 20 minutes.", None),
        ("Do the bridges, and walk the aisle twice a day.", None),
        # the morning ritual
        ("Do the bridges every morning.", T(trigger=MORNING)),
        ("Do the bridges in the morning and again at lunch.", T(trigger=MORNING)),
        ("Do the bridges as part of your morning routine.", T(trigger=MORNING)),
        ("Do the bridges first thing every morning.", T(trigger=FIRST_THING)),
        ("Once your mornings stay easy, keep the bridges.", None),
        # an event or a place: what to do during it, never a daily dose
        ("Do the bridges on every flight.", E("on every flight")),
        ("Do the bridges during your next meeting.", E("during your next meeting")),
        ("Do the bridges on the train every half hour.", E("on the train", every_min=30)),
        ("Do the bridges after your long run, twice.", E("after your long run")),
        (
            "Do the bridges on the train, and first thing.",
            T(trigger=FIRST_THING, event="on the train"),
        ),
        # places and periods that are not an event
        ("Do the bridges at your desk every 30 minutes.", T(every_min=30)),
        ("Do the bridges in a comfortable range.", None),
        ("Keep the bridges through the run of the show.", None),
        ("Do the bridges before you call me.", None),
    ],
)
def test_timing(note: str, timing: Timing | None) -> None:
    assert asked(note) == [("glute-bridge", timing)]


def test_an_event_keeps_the_note_s_words_and_case_but_for_the_first_letter() -> None:
    assert asked("Do the seat routine. On the Leeds train, the seat routine again.") == [
        ("travel-seat-circuit", E("on the Leeds train"))
    ]


@pytest.mark.parametrize(
    "note",
    [
        "With every breath out, do the bridges.",
        "Keep doing the bridges with each rep slow.",
    ],
)
def test_a_part_of_the_movement_is_no_event(note: str) -> None:
    assert asked(note) == [("glute-bridge", None)]
    assert asked("Do the bridges after each set of stairs.") == [
        ("glute-bridge", E("after each set of stairs"))
    ]


@pytest.mark.parametrize(
    ("first", "then", "merged"),
    [
        (E("on the train"), T(trigger=FIRST_THING), T(trigger=FIRST_THING, event="on the train")),
        (T(trigger=MORNING), E("on the train"), T(trigger=MORNING, event="on the train")),
        (E("on the train"), E("at every stop"), E("on the train")),
        (T(trigger=FIRST_THING), T(trigger=MORNING), T(trigger=FIRST_THING)),
    ],
)
def test_a_moment_of_the_day_is_the_trigger_over_an_event(
    first: Timing, then: Timing, merged: Timing
) -> None:
    assert first.merged(then) == merged


@pytest.mark.parametrize(
    ("note", "asks"),
    [
        # two exercises, one timing
        ("Do the bridges and step-ups every two hours.", [120, 120]),
        ("Side steps, step-ups and bridges three times a week.", [3, 3, 3]),
        # a timing each
        ("The side glide every two hours and the bridges every hour.", [120, 60]),
    ],
)
def test_one_timing_for_a_list_a_timing_for_each(note: str, asks: list[int]) -> None:
    got = [t.every_min or t.per_week if t else None for _, t in asked(note)]
    assert got == asks


@pytest.mark.parametrize(
    ("note", "asks", "stops"),
    [
        ("I have left out the cat-camel.", [], {"cat-camel"}),
        ("I have taken out the bird dog and the dead bug.", [], {"bird-dog", "dead-bug"}),
        ("I have taken out the bird dog, and the dead bug.", [], {"bird-dog", "dead-bug"}),
        ("Take the bridges out for a week.", [], {"glute-bridge"}),
        ("Hold off the step-ups for now.", [], {"step-up"}),
        ("No more bridges this week.", [], {"glute-bridge"}),
        ("Stop the bridges.", [], {"glute-bridge"}),
        ("Do not do the cat-camel.", [], {"cat-camel"}),
        ("Never do the cat-camel.", [], {"cat-camel"}),
        ("The band press is off for now.", [], {"pallof-press"}),
        ("The bridges can stop now.", [], {"glute-bridge"}),
        ("The bridges and the step-ups are off for now.", [], {"glute-bridge", "step-up"}),
        ("Do the step-ups, not the bridges.", ["step-up"], {"glute-bridge"}),
        ("Do the step-ups instead of the bridges.", ["step-up"], {"glute-bridge"}),
        ("Instead of the bridges, do the step-ups.", ["step-up"], {"glute-bridge"}),
        ("Stop the bridges and do the step-ups.", ["step-up"], {"glute-bridge"}),
        # a negated stop asks; a stop of something else does not stop the exercise
        ("Don't skip the log roll.", ["log-roll-out-of-bed"], set()),
        ("Never miss the side glide.", ["wall-side-glide"], set()),
        ("Keep the bridges until the pain stops.", ["glute-bridge"], set()),
        ("Avoid holding your breath in the bridges.", ["glute-bridge"], set()),
        ("Stop if your back takes over in the step-ups.", ["step-up"], set()),
        ("The step-ups: your back is off the hook.", ["step-up"], set()),
        ("Do the bridges; stop if your back takes over.", ["glute-bridge"], set()),
        # stopped and asked in one note: the stop wins
        ("Do the bridges. Then leave out the bridges.", [], {"glute-bridge"}),
    ],
)
def test_asks_and_stops(note: str, asks: list[str], stops: set[str]) -> None:
    assert [exercise for exercise, _ in asked(note)] == asks
    assert stopped(note) == stops


def regions(note: str) -> list[RegionAsk]:
    return list(read_note(note, LIBRARY).regions)


S, MOB = "strength", "mobility"


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Strengthen your left hip.", [R("hip", "left hip", side="left", kind=S)]),
        ("Keep that right hip strong.", [R("hip", "right hip", side="right", kind=S)]),
        (
            "Stretch your right hip every morning.",
            [R("hip", "right hip", side="right", kind=MOB, timing=T(trigger=MORNING))],
        ),
        (
            "Loosen your upper back first thing.",
            [R("upper back", "upper back", kind=MOB, timing=T(trigger=FIRST_THING))],
        ),
        ("Work on your mid-back.", [R("upper back", "mid-back")]),
        ("Don't skip your hip work.", [R("hip", "hip")]),
        ("Work on your left and right hips.", [R("hip", "left and right hips")]),
        ("Core work, twice a day.", [R("core", "Core", timing=T(per_day=2))]),
        # "or": one ask, any of the positions; "and" or a list: an ask for each
        (
            "Build strength in your glutes standing or on hands and knees.",
            [R("glute", "glutes", 1, "standing", "quadruped", kind=S)],
        ),
        (
            "Keep your hips strong lying on your side, standing and kneeling.",
            [
                R("hip", "hips", 1, "side_lying", kind=S),
                R("hip", "hips", 1, "standing", kind=S),
                R("hip", "hips", 1, "kneeling", kind=S),
            ],
        ),
        # a count for the region is not the program's, an event is the region's
        (
            "Build strength in your hips three times a week.",
            [R("hip", "hips", kind=S, timing=T(per_week=3))],
        ),
        (
            "Stretch your ankles on the train.",
            [R("ankle", "ankles", kind=MOB, timing=E("on the train"))],
        ),
        # an exercise named for it is still an exercise
        (
            "Do the side-lying clam to strengthen your left hip.",
            [R("hip", "left hip", side="left", kind=S)],
        ),
        # named but not asked for
        ("Your upper back and left hip should share the turning.", []),
        ("Kneel beside the bath so your legs do the work.", []),
        ("Bend from your hips, not your back, and build the habit.", []),
        ("Load the barrow the way we practised, hips back and bag close.", []),
        # not a region: a symptom, a width, a name
        ("Now the leg pain is gone we build strength.", []),
        ("Stand with your feet hip-width apart and build up slowly.", []),
        ("Build up to the standing hip flexor stretch.", []),
        ("Build up your single-leg balance.", []),
        # not asked for: left out, held off, negated
        ("Don't work on your left hip yet.", []),
        ("Hold off the hip strengthening for now.", []),
        ("The hip work is off for now.", []),
        ("No more stretching your hips.", []),
    ],
)
def test_regions(note: str, expected: list[RegionAsk]) -> None:
    assert regions(note) == expected


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        (
            "Your hips and ankles are stiff.\nLoosen both areas every morning.",
            [
                R("hip", "hips", 2, kind=MOB, timing=T(trigger=MORNING)),
                R("ankle", "ankles", 2, kind=MOB, timing=T(trigger=MORNING)),
            ],
        ),
        # a count takes the regions named last; "those areas", the last sentence's
        (
            "Your upper back, hips and ankles are stiff. Work on those two areas.",
            [R("hip", "hips"), R("ankle", "ankles")],
        ),
        (
            "Your hips are stiff. Your upper back too. Work on those areas.",
            [R("upper back", "upper back")],
        ),
        (
            "Your left hip is weak, so strengthen that area.",
            [R("hip", "left hip", side="left", kind=S)],
        ),
        ("Work on that area.", []),
        ("Work on those two areas. Your hips are stiff.", []),
        # the sentence that names them asks them to turn
        (
            "Your hips should do the turning. Work on that area.",
            [R("hip", "hips", turning=True)],
        ),
        (
            "Your upper back is stiff, it rotates too little. Loosen that area.",
            [R("upper back", "upper back", kind=MOB, turning=True)],
        ),
    ],
)
def test_a_reference_is_to_the_regions_named_last(note: str, expected: list[RegionAsk]) -> None:
    assert regions(note) == expected


def test_a_region_s_findings_are_those_the_library_knows() -> None:
    vocabulary = dataclasses.replace(
        LIBRARY.vocabulary,
        findings={k: v for k, v in LIBRARY.vocabulary.findings.items() if k != "glute_underuse"},
        positions={k: v for k, v in LIBRARY.vocabulary.positions.items() if k != "kneeling"},
    )
    library = dataclasses.replace(LIBRARY, vocabulary=vocabulary)
    reading = read_note("Strengthen your glutes kneeling, and your core.", library)
    assert [(ask.region, ask.findings, ask.positions) for ask in reading.regions] == [
        ("glute", ("hip_abductor_weakness",), ()),
        ("core", ("stabilizer_timing_delay",), ()),
    ]
    assert (
        read_note(
            "Stretch your ankles.",
            dataclasses.replace(library, vocabulary=dataclasses.replace(vocabulary, findings={})),
        ).regions
        == ()
    )


def test_a_region_ask_names_the_blocks_of_its_kind() -> None:
    strength, mobility, either = regions(
        "Strengthen your hips. Stretch your hips. Work on your hips."
    )
    assert (strength.blocks, mobility.blocks, either.blocks) == (
        ("stability", "strength"),
        ("mobility",),
        (),
    )


@pytest.mark.parametrize(
    ("findings", "targets"),
    [
        # the other side's finding is not the left hip's; an unsided one, or both sides, is
        (
            {"hip_mobility_limited": "right", "glute_underuse": None, "apical_breathing": None},
            ("glute_underuse",),
        ),
        ({"hip_abductor_weakness": "both"}, ("hip_abductor_weakness",)),
        # none there: any of the region's
        ({"hip_mobility_limited": "right"}, FINDINGS["hip"]),
    ],
)
def test_the_findings_a_region_ask_targets_for_a_patient(
    findings: dict[str, str | None], targets: tuple[str, ...]
) -> None:
    (ask,) = regions("Strengthen your left hip.")
    assert ask.targets(findings) == targets


def test_an_exercise_works_a_region_in_its_position_and_block() -> None:
    standing, side_lying = regions("Strengthen your left hip standing and side-lying.")
    patient = {"hip_abductor_weakness": "left"}
    clam, carry = LIBRARY.exercises["side-lying-clam"], LIBRARY.exercises["suitcase-carry"]
    assert (standing.worked_by(clam, patient), standing.worked_by(carry, patient)) == (False, True)
    assert (side_lying.worked_by(clam, patient), side_lying.worked_by(carry, patient)) == (
        True,
        False,
    )
    (stretch,) = regions("Stretch your left hip.")
    assert not stretch.worked_by(carry, patient)  # a strength exercise


def test_a_stopped_exercise_has_no_timing() -> None:
    reading = read_note("Hold off the bridges for two days a week.", LIBRARY)
    assert reading.mentions == (M("glute-bridge", "bridges", 1, stop=True),)


@pytest.mark.parametrize(
    ("note", "avoid"),
    [
        ("Hold off bending forward to tie your shoes.", {"flexion"}),
        ("Kneel to weed instead of stooping.", {"flexion"}),
        ("Avoid twisting and bending forward.", {"rotation", "flexion"}),
        ("No more arching your back at the sink.", {"extension"}),
        ("Stop bending to the side.", {"side_bend"}),
        # a movement the note does not stop, and an exercise named after one
        ("Bending forward in the chair is your friend.", set()),
        ("Hold off the seated forward bend.", set()),
    ],
)
def test_movements_to_avoid(note: str, avoid: set[str]) -> None:
    assert read_note(note, LIBRARY).avoid == avoid


@pytest.mark.parametrize(
    ("note", "per_week"),
    [
        ("Do it three times a week.", 3),
        ("Keep the maintenance routine 4x a week through the season.", 4),
        ("Three times a week.", 3),
        ("Do these exercises twice a day.", 14),
        # a count that belongs to an exercise is not the program's
        ("Do the step-ups three times a week.", None),
        ("Walk twice this week.", None),
    ],
)
def test_program_counts(note: str, per_week: int | None) -> None:
    assert read_note(note, LIBRARY).program_per_week == per_week


def test_rangi_s_program_count_is_not_his_back_bends() -> None:
    reading = read_note(PROJECT.profiles["rangi-parata"].latest.notes, LIBRARY)
    assert reading.program == T(per_week=3)
    assert reading.asks[0].timing == E("after any long stretch of digging or shovelling")


def test_the_same_exercise_twice_is_one_ask_with_both_timings() -> None:
    reading = read_note(
        "Do the side glide every two hours. Do the side glide first thing.", LIBRARY
    )
    assert reading.asks == (
        M("wall-side-glide", "side glide", 1, timing=T(every_min=120, trigger=FIRST_THING)),
    )
    assert len(reading.mentions) == 2


def test_lines_count_from_the_note_s_first_line() -> None:
    reading = read_note("Well done.\n\nNow the\nstep-ups, every day.\n", LIBRARY)
    assert reading.mentions == (M("step-up", "step-ups", 4, timing=T(per_day=1)),)


def test_curly_apostrophes_read_as_straight_ones() -> None:
    assert asked("Don\u2019t skip the supported child\u2019s pose breathing.") == [
        ("supported-childs-pose", None)
    ]


@pytest.mark.parametrize(
    "note",
    [
        "Haz los puentes y las subidas al escalón tres veces por semana.",
        "Machen Sie die Brücke zweimal am Tag.",
        "",
    ],
)
def test_a_note_in_another_language_reads_as_nothing(note: str) -> None:
    assert read_note(note, LIBRARY) == NoteReading()


def test_a_long_note_of_regions_is_read_in_a_moment() -> None:
    note = "Your upper back and left hip are stiff, so loosen those areas every morning.\n" * 4000
    started = time.monotonic()
    reading = read_note(note, LIBRARY)
    assert time.monotonic() - started < 5
    assert len(reading.regions) == 8000
    assert reading.regions[-1] == R(
        "hip", "left hip", 4000, side="left", kind=MOB, timing=T(trigger=MORNING)
    )


def test_a_long_note_is_read_in_a_moment() -> None:
    # every lookup is by position, so a note of hundreds of kilobytes cannot hang `check`
    note = "Keep the bridges and step-ups twice a day, not the cat-camel.\n" * 4000
    started = time.monotonic()
    reading = read_note(note, LIBRARY)
    assert time.monotonic() - started < 5
    assert len(reading.mentions) == 12000
    assert reading.mentions[-1] == M("cat-camel", "cat-camel", 4000, stop=True)
