"""Clinician checks: where a patient's plan does not do what the clinician wrote or pinned.

`movebook check` prints these as warnings and still passes: the latest note asks for an
exercise, a frequency or an interval the plan does not follow, or for work on a region of the
body (a side, a position, every morning) that no planned exercise does, leaves out an exercise
or a movement the plan still has, or an `include` makes a day longer than the time budget. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from movebook.audit import MAINTENANCE_PHASE, plan_metrics, times_a_day
from movebook.errors import Problem, field_path
from movebook.load import Source
from movebook.model import Budget, Exercise, Library, Profile
from movebook.notes import (
    FIRST_THING,
    MORNING,
    Avoidance,
    NoteReading,
    RegionAsk,
    Timing,
    read_note,
)
from movebook.plan import (
    BUDGET,
    Patient,
    Plan,
    Session,
    build_plans,
    patient_of,
    why_not,
)

MAIN = "main"  # the main session's id (in phase 4, the maintenance routine)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
IN_BED = "lying_in_bed"  # a move done before getting up comes before "the first move of the day"


def clinician_warnings(
    source: Source,
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> list[Problem]:
    """The warnings about one profile's latest assessment, each at the line it is about."""
    latest = profile.latest
    reading = read_note(latest.notes, library)
    noted = reading.mentions or reading.program or reading.avoidances or reading.regions
    if profile.red_flags or not (noted or latest.overrides.include):
        return []  # a red flag blocks the plan: there is nothing to compare
    plan = build_plans(profile, library, default_equipment, budget)[-1]
    index = len(profile.assessments) - 1

    def at(loc: tuple[str | int, ...], message: str) -> Problem:
        return source.problem(loc, field_path(loc, source.data), message)

    patient = patient_of(profile, library, default_equipment)
    notes = ("assessments", index, "notes")
    warnings = [at(notes, text) for text in note_warnings(reading, plan, library, patient)]
    for number, text in include_warnings(profile, plan, library, default_equipment, budget):
        warnings.append(at(("assessments", index, "overrides", "include", number), text))
    return warnings


def note_warnings(
    reading: NoteReading, plan: Plan, library: Library, patient: Patient
) -> Iterator[str]:
    """What the note asks for or leaves out that the plan does not follow, one line each."""
    planned = {p.id: p.exercise for p in plan.exercises()}
    for ask in reading.asks:
        exercise = library.exercises[ask.exercise]
        if ask.exercise not in planned:
            if ask.exercise in patient.assessment.overrides.exclude:
                why = "it is under overrides.exclude"
            else:
                why = why_not(exercise, patient, library)
            yield f"the note asks for {_named(exercise)}, which the plan does not contain" + (
                f": {why}" if why else ""
            )
        elif ask.timing is not None:
            yield from _timing_warnings(exercise, ask.timing, plan, library)
    yield from dict.fromkeys(_region_warnings(reading.regions, plan, library, patient))
    for name in sorted(reading.stops & set(planned)):
        yield f"the note leaves out {_named(planned[name])}, which the plan still contains"
    first: dict[str, Avoidance] = {}
    for avoidance in reading.avoidances:
        first.setdefault(avoidance.movement, avoidance)
    for avoidance in first.values():
        doing = [e for e in planned.values() if avoidance.movement in e.meta.spine]
        if doing:
            names = ", ".join(map(_named, doing))
            yield (
                f"the note says to avoid '{avoidance.words}' (spine {avoidance.movement}), "
                f"which the plan's {names} {'does' if len(doing) == 1 else 'do'}"
            )
    asked = reading.program_per_week
    main = next((s for s in plan.sessions if s.id == MAIN), None)
    if asked is not None and main is not None and main.per_week_total != asked:
        yield (
            f"the note asks for the program {_times(asked)} a week, but the plan has the main "
            f"session {_times(main.per_week_total)} a week"
        )


def _named(exercise: Exercise) -> str:
    return f"'{exercise.meta.title}' ({exercise.id})"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _every(minutes: int) -> str:
    if minutes == 60:
        return "every hour"
    return f"every {minutes // 60} hours" if minutes % 60 == 0 else f"every {minutes} minutes"


def _daily_counts(exercise: str, plan: Plan) -> list[int]:
    """How many times the exercise is done on each day of the week, Monday first."""
    holding = {s.id for s in plan.sessions if any(p.id == exercise for p in s.exercises)}
    return [sum(n for session, n in day.items() if session in holding) for day in times_a_day(plan)]


def _timing_warnings(
    exercise: Exercise, timing: Timing, plan: Plan, library: Library
) -> Iterator[str]:
    asked = f"the note asks for {_named(exercise)}"
    sessions = [s for s in plan.sessions if any(p.id == exercise.id for p in s.exercises)]
    if timing.every_min is not None:
        given = [s.every_min for s in sessions]
        given += [p.every_min for s in sessions for p in s.exercises if p.id == exercise.id]
        intervals = sorted({every for every in given if every is not None})
        if timing.every_min not in intervals:
            has = (
                "has it " + " and ".join(map(_every, intervals))
                if intervals
                else "gives it no interval"
            )
            yield f"{asked} {_every(timing.every_min)}, but the plan {has}"
    counts = _daily_counts(exercise.id, plan)
    if timing.per_day is not None and set(counts) != {timing.per_day}:
        low, high = min(counts), max(counts)
        if low == 0:
            has = f"on {sum(1 for n in counts if n)} days a week"
        else:
            has = (_times(low) if low == high else f"{low} to {high} times") + " a day"
        yield f"{asked} {_times(timing.per_day)} a day, but the plan has it {has}"
    if timing.per_week is not None and sum(counts) != timing.per_week:
        yield (
            f"{asked} {_times(timing.per_week)} a week, but the plan has it "
            f"{_times(sum(counts))} a week"
        )
    if timing.moment == FIRST_THING:
        first = _first_move(plan, library)
        if first is None:
            yield f"{asked} as the first move of the day, but the plan has no first move"
        elif first.id != exercise.id:
            yield f"{asked} as the first move of the day, but the plan starts with {_named(first)}"
    elif timing.moment == MORNING and _has_rituals(plan):
        morning = _morning(plan)
        if morning is None:
            yield f"{asked} every morning, but the plan has no morning ritual"
        elif all(p.id != exercise.id for p in morning.exercises):
            yield f"{asked} every morning, but the morning ritual does not have it"
    if timing.event is not None:
        whens = {p.when for s in sessions for p in s.exercises if p.id == exercise.id}
        if timing.event not in whens:
            yield f"{asked} {timing.event}, which the plan does not schedule"


def _has_rituals(plan: Plan) -> bool:
    """Whether the plan spreads its work over the day's rituals (not in maintenance)."""
    return any(s.ritual is not None for s in plan.sessions)


def _morning(plan: Plan) -> Session | None:
    return next((s for s in plan.sessions if s.id == MORNING), None)


def _region_warnings(
    regions: Sequence[RegionAsk], plan: Plan, library: Library, patient: Patient
) -> Iterator[str]:
    """A line for each region the note asks to work on that no planned exercise works (see
    `RegionAsk.worked_by`); for "every morning" or "first thing", none in the morning ritual."""
    for ask in regions:
        findings = ", ".join(ask.targets(patient.findings))
        asked = f"the note asks for {_work(ask, library)}"
        moment = ask.timing.moment if ask.timing is not None else None
        if moment is not None and _has_rituals(plan):
            when = "every morning" if moment == MORNING else "first thing"
            asked += f" {when} ({findings})"
            morning = _morning(plan)
            if morning is None:
                yield f"{asked}; the plan has no morning ritual"
            elif not any(ask.worked_by(p.exercise, patient.findings) for p in morning.exercises):
                yield f"{asked}; the morning ritual has none"
        elif not any(ask.worked_by(p.exercise, patient.findings) for p in plan.exercises()):
            yield f"{asked} ({findings}); the plan has none"


def _work(ask: RegionAsk, library: Library) -> str:
    """ "left hip strength work lying on your side" """
    labels = [library.vocabulary.positions[p].label for p in ask.positions]
    where = " or ".join(label[:1].lower() + label[1:] for label in labels)
    return " ".join(part for part in (ask.side, ask.region, ask.kind, "work", where) if part)


def _first_move(plan: Plan, library: Library) -> Exercise | None:
    """The first exercise of the day's first ritual, after any done before getting up."""
    order = {ritual.id: number for number, ritual in enumerate(library.rituals)}
    rituals = sorted(
        (s for s in plan.sessions if s.ritual is not None), key=lambda s: order.get(s.id, 0)
    )
    for session in rituals[:1]:
        for planned in session.exercises:
            if planned.exercise.meta.position != IN_BED:
                return planned.exercise
    return None


def _days(plan: Plan, budget: Budget) -> list[tuple[int, int]]:
    """(minutes, the most the budget allows) for each day of the week, Monday first."""
    minutes = [day.minutes for day in plan_metrics(plan).days]
    if plan.phase >= MAINTENANCE_PHASE:
        return [(m, budget.maintenance_max) for m in minutes]
    rhythm = plan.weekly_rhythm or ((),) * len(minutes)
    limits = [budget.main_day_minutes if MAIN in day else budget.day_minutes for day in rhythm]
    return list(zip(minutes, limits, strict=True))


def _longest(days: Sequence[tuple[int, int]]) -> dict[int, int]:
    """The longest day for each budget: days with the same budget are alike, as the weekly
    rhythm may move a session to another day when the plan changes."""
    longest: dict[int, int] = {}
    for minutes, limit in days:
        longest[limit] = max(minutes, longest.get(limit, 0))
    return longest


def include_warnings(
    profile: Profile,
    plan: Plan,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> Iterator[tuple[int, str]]:
    """(the include's index, the warning) for each `include` of the latest assessment that
    makes a day longer than the budget: the day holds the exercise and is over the budget, and
    without the include (and the dose set for it) no day of its kind would be. A day too long
    either way is the plan's doing, not the include's: `movebook audit` shows it."""
    days = _days(plan, budget)
    holding = plan_metrics(plan).days
    for number, name in enumerate(profile.latest.overrides.include):
        over = [
            d for d, (minutes, limit) in enumerate(days)
            if minutes > limit and name in holding[d].exercises
        ]  # fmt: skip
        if not over:
            continue
        without = build_plans(_without(profile, number), library, default_equipment, budget)
        most = _longest(_days(without[-1], budget))
        made = [d for d in over if most.get(days[d][1], 0) <= days[d][1]]
        if not made:
            continue
        day = max(made, key=lambda d: (days[d][0] - days[d][1], -d))
        minutes, limit = days[day]
        yield (
            number,
            f"the included {_named(library.exercises[name])} brings {WEEKDAYS[day]} to "
            f"{minutes} minutes of exercise, over the day's budget of {limit} "
            f"(at most {most.get(limit, 0)} without it)",
        )


def _without(profile: Profile, number: int) -> Profile:
    """The profile without the latest assessment's `include` entry `number`, nor the dose
    the clinician set for it: what the plan would be without that pin."""
    latest = profile.latest
    pinned = latest.overrides.include[number]
    include = [name for index, name in enumerate(latest.overrides.include) if index != number]
    dose = {name: change for name, change in latest.overrides.dose.items() if name != pinned}
    overrides = latest.overrides.model_copy(update={"include": include, "dose": dose})
    assessment = latest.model_copy(update={"overrides": overrides})
    return profile.model_copy(update={"assessments": [*profile.assessments[:-1], assessment]})
