"""Reading a clinician's note: every sample's latest note read as a physiotherapist reads it,
and the phrasings that could fool a word list."""

from __future__ import annotations

import time

import pytest

from conftest import REPO
from movebook.notes import FIRST_THING, Avoidance, Mention, NoteReading, Timing, read_note
from movebook.project import load_project

PROJECT = load_project(REPO)
LIBRARY = PROJECT.library

M, T = Mention, Timing

SAMPLES = {
    "amara-okonkwo": NoteReading(
        (M("glute-bridge", "bridges", 2), M("step-up", "step-ups", 2)),
    ),
    "arjun-mehta": NoteReading((M("pallof-press", "band press", 3),)),
    "astrid-lindqvist": NoteReading(
        (M("single-leg-rdl", "single-leg deadlifts", 3),), program=T(per_week=3), program_line=2
    ),
    "aurelio-bianchi": NoteReading(),
    "declan-obrien": NoteReading(),
    "fatima-al-sayed": NoteReading((M("overhead-shelf-reach", "shelf reach", 2),)),
    "kwame-mensah": NoteReading(
        (M("wall-side-glide", "wall side-glide", 2, timing=T(every_min=120)),),
        avoidances=(Avoidance("flexion", "bending forward", 4),),
    ),
    "maria-lopez": NoteReading(
        (
            M("lift-to-car-seat", "car-seat lift", 3),
            M("travel-seat-circuit", "travel-seat routine", 4),
            M("cat-camel", "cat-camel", 4, stop=True),
        )
    ),
    "mei-lin-chen": NoteReading(),
    "priya-raman": NoteReading(
        (
            M("wall-side-glide", "side-glide", 2, timing=T(trigger=FIRST_THING)),
            M("travel-seat-circuit", "seat routine", 3, timing=T(every_min=30)),
        )
    ),
    "rangi-parata": NoteReading(
        (
            M(
                "standing-back-extension",
                "standing back bends",
                2,
                timing=T(trigger="after any long stretch of digging or shovelling"),
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
                timing=T(trigger="before every performance"),
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
        ("Do the bridges at every break.", T(trigger="at every break")),
        ("Do the bridges before each lesson, gently.", T(trigger="before each lesson")),
        ("Do the bridges every two hours, first thing too.", T(120, trigger=FIRST_THING)),
        # a timing said on its own belongs to the clause next to it
        ("Twice a day, do the bridges.", T(per_day=2)),
        ("Do the bridges, twice a day.", T(per_day=2)),
        ("Before every walk, the bridges.", T(trigger="before every walk")),
        ("After every walk do the bridges.", T(trigger="after every walk")),
        # numbers that are not a timing
        ("Do the bridges for the next six weeks.", None),
        ("Do the bridges: 3 x 8, slowly.", None),
        ("Do the bridges every few hours.", None),
        ("Do the bridges, and stand up from your desk every 20 minutes.", None),
        ("Do the bridges, and walk the aisle twice a day.", None),
    ],
)
def test_timing(note: str, timing: Timing | None) -> None:
    assert asked(note) == [("glute-bridge", timing)]


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
    assert reading.asks[0].timing == T(trigger="after any long stretch of digging or shovelling")


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


def test_a_long_note_is_read_in_a_moment() -> None:
    # every lookup is by position, so a note of hundreds of kilobytes cannot hang `check`
    note = "Keep the bridges and step-ups twice a day, not the cat-camel.\n" * 4000
    started = time.monotonic()
    reading = read_note(note, LIBRARY)
    assert time.monotonic() - started < 5
    assert len(reading.mentions) == 12000
    assert reading.mentions[-1] == M("cat-camel", "cat-camel", 4000, stop=True)
