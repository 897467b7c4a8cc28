"""Stage 3, plan: from a profile and the library to a phased, dosed plan. Pure and deterministic.

A plan is a small portfolio of exercises that matter (DOMAIN.md 3-4): a main session of four to
six, daily rituals that reuse them in micro-doses plus what a ritual's purpose needs, every
exercise done about as often a week as the library doses it, and the day inside a time budget.
At a reassessment the plan starts from the last one: what still fits stays, or moves one step on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from movebook.model import Assessment, Budget, Exercise, Library, Profile, Ritual
from movebook.notes import MORNING, NoteReading, read_note
from movebook.plan.dose import (
    ROUND_SECONDS,
    _micro,
    _planned,
    _sided_if_marked,
    phase_dose,
    plan_dose,
    weekly_dose,
)
from movebook.plan.model import (
    BUDGET,
    CAPACITY_BLOCKS,
    MAIN_DAYS,
    PRACTICE,
    RITUAL_FILL,
    RITUAL_SLACK,
    SECONDS_BETWEEN_EXERCISES,
    SECONDS_PER_BREATH,
    SECONDS_PER_REP,
    SETTLE_BLOCK,
    SETTLE_SECONDS,
    SHIFT,
    SHORTEST_MINUTES,
    TASK_BLOCK,
    Patient,
    PhaseStep,
    Plan,
    PlannedDose,
    PlannedExercise,
    Session,
    patient_of,
)
from movebook.plan.rituals import (
    _flow,
    _gets_up,
    _needed_in_ritual,
    _needs_correction,
    _painful_early,
    _rituals,
    _weekly,
)
from movebook.plan.selection import (
    _FLOOR_LEVEL,
    _best,
    _Choosing,
    _Cover,
    _daily_context,
    _foreign_task,
    _in_order,
    _level,
    _main_session,
    _practice,
    _relevant,
    _ritual_goals,
    _sports,
    _turns,
    _unaddressed,
    _value,
    why_not,
)

__all__ = [
    "BUDGET",
    "CAPACITY_BLOCKS",
    "MAIN_DAYS",
    "PRACTICE",
    "RITUAL_FILL",
    "RITUAL_SLACK",
    "ROUND_SECONDS",
    "SECONDS_BETWEEN_EXERCISES",
    "SECONDS_PER_BREATH",
    "SECONDS_PER_REP",
    "SETTLE_BLOCK",
    "SETTLE_SECONDS",
    "SHIFT",
    "SHORTEST_MINUTES",
    "TASK_BLOCK",
    "WORKING_DAY_MINUTES",
    "Patient",
    "PhaseStep",
    "Plan",
    "PlannedDose",
    "PlannedExercise",
    "Session",
    "build_plan",
    "build_plans",
    "patient_of",
    "phase_dose",
    "plan_dose",
    "weekly_dose",
    "why_not",
    "worse",
]


def build_plan(
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> Plan:
    """The plan for the profile's latest assessment, continuing the plans before it."""
    return build_plans(profile, library, default_equipment, budget)[-1]


def build_plans(
    profile: Profile,
    library: Library,
    default_equipment: Sequence[str],
    budget: Budget = BUDGET,
) -> list[Plan]:
    """The plan of every assessment, oldest first: each starts from the one before."""
    plans: list[Plan] = []
    for index in range(len(profile.assessments)):
        before = plans[-1] if plans else None
        previous = profile.assessments[index - 1] if index else None
        patient = patient_of(profile, library, default_equipment, at=index)
        plans.append(_plan(profile, library, patient, before, previous, budget))
    return plans


def _plan(
    profile: Profile,
    library: Library,
    patient: Patient,
    before: Plan | None,
    previous: Assessment | None,
    budget: Budget,
) -> Plan:
    assessment = patient.assessment
    precautions = tuple(
        (name, library.vocabulary.precautions[name])
        for name in profile.precautions
        if name in library.vocabulary.precautions
    )
    if profile.red_flags:
        return Plan(
            profile=profile.id,
            assessment_date=assessment.date.isoformat(),
            phase=assessment.phase,
            red_flags=tuple(
                (flag, library.vocabulary.red_flags[flag]) for flag in profile.red_flags
            ),
            sessions=(),
            phases=(),
            unaddressed_findings=(),
            unaddressed_goals=(),
            precautions=precautions,
        )

    reading = read_note(assessment.notes, library)
    excluded = set(assessment.overrides.exclude) | reading.stops
    eligible = tuple(
        e
        for e in library.exercises.values()
        if e.id not in excluded
        and not why_not(e, patient, library)
        and _sided_if_marked(e, patient)
        and not set(e.meta.spine) & reading.avoid  # "hold off bending forward"
    )
    allowed = {e.id for e in eligible}
    asked = {ask.exercise: ask.timing for ask in reading.asks if ask.exercise in allowed}
    patient = replace(patient, asked=asked)
    for region in reading.regions:  # "your upper back and left hip, every morning"
        working = [e for e in eligible if region.worked_by(e, patient.findings)]
        if any(e.id in asked for e in working):
            continue
        working = [e for e in working if not e.meta.activity]
        if region.turning:  # "the turning your upper back and hip should share"
            working = [e for e in working if _turns(e)] or working
        if region.timing and region.timing.moment:  # in the morning: what the ritual can hold
            working = [e for e in working if MORNING in e.meta.rituals] or working
        region_pick = _best(working, _Choosing(patient, library, eligible, frozenset(),
                                          frozenset(), budget), _Cover.of(patient))  # fmt: skip
        if region_pick is not None:
            asked[region_pick.id] = region.timing
    patient = replace(patient, asked=asked)
    kept, avoid = _continuity(before, previous, patient, library, eligible)
    choosing = _Choosing(
        patient, library, eligible, kept, avoid, budget, _main_days(reading, patient.phase)
    )
    cover = _Cover.of(patient)
    dropped: list[tuple[str, str]] = []
    practice = _practice(choosing, cover)
    daily = _ritual_goals(choosing, cover)
    # The main session leaves room in the day's distinct exercises for the day's practice,
    # its goals' daily drills and the move out of bed.
    getting_up = any(_gets_up(e, patient) for e in eligible)
    ordinary = [p for p in practice if not p.exercise.meta.occasion]  # not on its occasion
    reserved = len(ordinary) + len(daily) + int(getting_up)
    main_max = max(budget.main_min, min(budget.main_max, budget.distinct_max - reserved))
    main = _main_session(
        replace(choosing, budget=budget.model_copy(update={"main_max": main_max})),
        cover,
        {e.id for e in daily},
    )
    if patient.phase >= 4:  # no rituals in phase 4: the desk break is part of the working day
        practice += [_planned(e, patient) for e in daily]
        daily = []
    if patient.phase >= 4:
        sessions = _maintenance(main, choosing, dropped)
    else:
        sessions = _day(main, choosing, cover, dropped, practice, daily)
    if practice:
        sessions.append(Session(PRACTICE, tuple(practice)))
    chosen = [p.exercise for p in sessions[0].exercises]
    chosen += [p.exercise for s in sessions[1:] for p in s.exercises if p.exercise not in chosen]
    final_cover = _Cover.of(patient)
    for exercise in chosen:
        final_cover.add(exercise)
    sport = _sports(library)
    return Plan(
        profile=profile.id,
        assessment_date=assessment.date.isoformat(),
        phase=assessment.phase,
        red_flags=(),
        sessions=tuple(sessions),
        phases=_phases(choosing, chosen),
        unaddressed_findings=_unaddressed(
            patient.findings, final_cover.findings, "finding", library, patient
        ),
        unaddressed_goals=_unaddressed(
            dict.fromkeys(patient.tasks), final_cover.tasks, "task", library, patient
        ),
        weekly_rhythm=_weekly_rhythm(sessions),
        precautions=precautions,
        dropped=tuple(
            (name, why)
            for name, why in dict(reversed(dropped)).items()
            if name not in {e.id for e in chosen}
        ),
        activities=tuple(t for t in patient.tasks if t in sport) if patient.phase >= 4 else (),
    )


def _main_days(reading: NoteReading, phase: int) -> tuple[int, ...]:
    """The main session's (or the routine's) days a week: as the note says, else chosen."""
    asked = reading.program_per_week
    if asked is not None and 1 <= asked <= 7:
        return (asked,)
    # Phase 1 builds no strength, so needs no rest days: its drills are dosed for every day.
    return MAIN_DAYS if phase > 1 else (*MAIN_DAYS, 6, 7)


def _continuity(
    before: Plan | None,
    previous: Assessment | None,
    patient: Patient,
    library: Library,
    eligible: Sequence[Exercise],
) -> tuple[frozenset[str], frozenset[str]]:
    """Where the last plan's exercises lead now, and which step backs to keep away from.

    What still fits stays; a patient who moved up a phase takes the next step where it is
    allowed; a step back comes only for a patient who is worse, or an exercise no longer
    allowed."""
    if before is None or previous is None or before.blocked:
        return frozenset(), frozenset()
    allowed = {e.id for e in eligible}
    moved_up = patient.phase > previous.phase
    worse_now = worse(previous, patient.assessment)
    kept: set[str] = set()
    avoid: set[str] = set()
    for planned in before.exercises():
        exercise = planned.exercise
        harder = exercise.meta.progresses_to
        easier = exercise.meta.regresses_to
        harder_one = library.exercises.get(harder or "")
        if moved_up and harder in allowed and not _for_others(harder_one, patient):
            kept.add(harder)
        elif exercise.id in allowed and not _for_others(exercise, patient):
            kept.add(exercise.id)
        elif easier in allowed:
            kept.add(easier)
        easier_one = library.exercises.get(easier or "")
        own_goal = easier_one is not None and bool(  # a drill for another goal is no step back
            (set(easier_one.meta.tasks) - set(exercise.meta.tasks)) & set(patient.tasks)
        )
        if easier and not worse_now and exercise.id in allowed and not own_goal:
            avoid.add(easier)
    # One exercise's next step may be another's step back (a chair squat leads to the sit to
    # stand that a split squat eases into): the harder one the patient already does wins.
    kept -= {
        p.exercise.meta.regresses_to
        for p in before.exercises()
        if p.exercise.meta.regresses_to and p.id in kept
    }
    return frozenset(kept), frozenset(avoid - kept)


def _for_others(exercise: Exercise | None, patient: Patient) -> bool:
    """Practice of a daily task the patient has no goal for, serving none of their findings:
    it no longer fits, so it is not carried on."""
    if exercise is None or not exercise.meta.tasks:
        return False
    meta = exercise.meta
    return not (set(meta.targets) & set(patient.findings) or set(meta.tasks) & set(patient.tasks))


def worse(before: Assessment, now: Assessment) -> bool:
    """Pain or disability up since the last visit, or the clinician moved the phase down."""
    if now.phase < before.phase:
        return True
    then, current = before.measures, now.measures
    pain = then.nprs is not None and current.nprs is not None and current.nprs > then.nprs
    odi = then.odi is not None and current.odi is not None and current.odi > then.odi
    return pain or odi


def _day(
    main: list[PlannedExercise],
    choosing: _Choosing,
    cover: _Cover,
    dropped: list[tuple[str, str]],
    practice: Sequence[PlannedExercise] = (),
    daily: Sequence[Exercise] = (),
) -> list[Session]:
    """Phases 1-3: the main session on some days, the rituals every day, within the budget."""
    sessions = _day_within_budget(main, choosing, cover, dropped, practice, daily)
    return _daily_in_main(_settled_daily(sessions, choosing), choosing)


def _settled_daily(sessions: list[Session], choosing: _Choosing) -> list[Session]:
    """The main session's settling drill, if its library dose is daily and no ritual took it,
    would be done too rarely: it becomes the breathing drill a ritual already does, or goes."""
    main, rituals = sessions[0], sessions[1:]
    settle = [p for p in main.exercises if p.exercise.meta.block == SETTLE_BLOCK and not p.held]
    if not settle:
        return sessions
    planned = settle[0]
    if _within(_exposures(sessions)[planned.id], planned.exercise, choosing):
        return sessions
    exposures = _exposures(sessions)
    swaps = [
        p
        for s in rituals
        for p in s.exercises
        if p.exercise.meta.block == SETTLE_BLOCK
        and p.id not in {e.id for e in main.exercises}
        and exposures[p.id] + (main.per_week or 0)
        <= 2 * weekly_dose(p.exercise, choosing.patient.phase)
    ]
    days = main.per_week or MAIN_DAYS[0]
    weekly = [  # or one the main session's days dose well on their own
        e
        for e in choosing.eligible
        if e.meta.block == SETTLE_BLOCK
        and e.id not in choosing.avoid
        and 0.5 * weekly_dose(e, choosing.patient.phase) <= days
        and days <= 2 * weekly_dose(e, choosing.patient.phase)
        and plan_dose(e, choosing.patient).seconds <= SETTLE_SECONDS
        and e.meta.position != "lying_in_bed"
    ]
    if swaps:
        swap = _planned(swaps[0].exercise, choosing.patient)
        changed = [swap if p is planned else p for p in main.exercises]
    elif weekly:
        swap = _planned(sorted(weekly, key=lambda e: e.id)[0], choosing.patient)
        changed = [swap if p is planned else p for p in main.exercises]
    elif len(main.exercises) > choosing.budget.main_min:
        changed = [p for p in main.exercises if p is not planned]
    else:
        rest = [p for p in main.exercises if p is not planned]
        other = _main_days_swap(rest, sessions, days, choosing)
        if other is None:
            return sessions
        changed = [_planned(other, choosing.patient) if p is planned else p for p in main.exercises]
    return [_session("main", _in_order(changed, choosing), per_week=main.per_week), *rituals]


def _daily_in_main(sessions: list[Session], choosing: _Choosing) -> list[Session]:
    """A daily drill (a mobility drill the library doses twice a day) that only the main
    session holds is done too rarely: it leaves the main session while that keeps its four."""
    main, rituals = sessions[0], sessions[1:]
    exposures = _exposures(sessions)
    everyone = [p for s in sessions for p in s.exercises]
    daily = [
        p
        for p in main.exercises
        if phase_dose(p.exercise, choosing.patient.phase).per_day is not None
        and "clinician" not in p.dose.adjustments
        and not _within(exposures[p.id], p.exercise, choosing)
    ]
    # the clinician's and the protected stay in the main session; a ritual may add them
    rare = [p for p in daily if not p.held and not _value(p, choosing, everyone)[1]]
    keep = list(main.exercises)
    for planned in sorted(rare, key=lambda p: (_value(p, choosing, everyone), p.id)):
        if len(keep) <= choosing.budget.main_min:
            break
        keep.remove(planned)
    rituals = [_with_daily(s, [p for p in daily if p in keep], choosing) for s in rituals]
    out = [_session("main", keep, per_week=main.per_week), *rituals]
    day = sum(s.minutes * (s.per_day or 1) for s in out if s.id != PRACTICE)
    if day <= choosing.budget.main_day_minutes:
        exposures = _exposures(out)
        if all(_within(exposures[p.id], p.exercise, choosing) for p in rare if p in keep):
            return out
        # a ritual could not take each of them (one floor bout a day): the rituals stay
        # with what they took, and what is still too rare is swapped below
        sessions = out
    else:  # the clinician's and the protected still get their ritual
        held = [p for p in daily if p not in rare]
        sessions = [sessions[0], *(_with_daily(s, held, choosing) for s in sessions[1:])]
    # The day cannot hold them twice a day: each becomes a drill of its block the main
    # session's days dose well, for the same findings, where the library has one.
    days = main.per_week or MAIN_DAYS[0]
    taken = {choosing.pattern(p.exercise) for p in keep}
    exposures = _exposures(sessions)
    for planned in [p for p in rare if p in keep]:
        if _within(exposures.get(planned.id, 0), planned.exercise, choosing):
            continue
        meta = planned.exercise.meta
        swaps = [
            e
            for e in choosing.eligible
            if e.meta.block == meta.block
            and e.id not in choosing.avoid
            and not e.meta.activity
            and choosing.pattern(e) not in taken
            and not _foreign_task(e, choosing.patient)
            and set(e.meta.targets) & set(planned.addresses)
            and 0.5 * weekly_dose(e, choosing.patient.phase) <= days
            and days <= 2 * weekly_dose(e, choosing.patient.phase)
            and e.meta.position != "lying_in_bed"
        ]
        swap = _best(swaps, choosing, _Cover.of(choosing.patient)) or _main_days_swap(
            keep, sessions, days, choosing
        )
        if swap is not None:
            keep[keep.index(planned)] = _planned(swap, choosing.patient)
            taken.add(choosing.pattern(swap))
    return [_session("main", _in_order(keep, choosing), per_week=main.per_week), *sessions[1:]]


def _main_days_swap(
    keep: Sequence[PlannedExercise], sessions: Sequence[Session], days: int, choosing: _Choosing
) -> Exercise | None:
    """An exercise that serves the patient and that the main session's days alone dose
    within half and twice the library's: for a drill too rare there that nothing else of its
    block can replace (a hip shift on the floor that the library wants three times a day)."""
    patient, library = choosing.patient, choosing.library
    day = {p.id for s in sessions for p in s.exercises}
    taken = {choosing.pattern(p.exercise) for p in keep}
    settled = any(p.exercise.meta.block == SETTLE_BLOCK for p in keep)
    options = [
        e
        for e in choosing.eligible
        if e.id not in day
        and e.id not in choosing.avoid
        and not e.meta.activity
        and e.meta.position != "lying_in_bed"
        and not (settled and e.meta.block == SETTLE_BLOCK)
        and choosing.pattern(e) not in taken
        and not _foreign_task(e, patient)
        and _within(days, e, choosing)
    ]
    cover = _Cover.of(patient)
    for planned in keep:
        cover.add(planned.exercise)
    # what serves the patient; else, as when a main session is filled, general capacity work
    useful = [e for e in options if _relevant(e, patient, library)]
    return _best(useful or options, choosing, cover)


def _with_daily(session: Session, rare: Sequence[PlannedExercise], choosing: _Choosing) -> Session:
    """A ritual with the daily drills it can take (by its tags, or its blocks and positions),
    one breathing drill at most, in a micro-dose."""
    ritual = session.ritual
    if ritual is None or not rare:
        return session
    members = list(session.exercises)
    for planned in rare:
        meta = planned.exercise.meta
        takes = ritual.id in meta.rituals or (
            meta.block in ritual.reuses and meta.position in ritual.positions
        )
        breathing = meta.block == SETTLE_BLOCK and any(
            p.exercise.meta.block == SETTLE_BLOCK for p in members
        )
        # getting down to the floor hurts early on: one floor bout a day, the main session's
        floor = _level(planned.exercise, choosing.library) == _FLOOR_LEVEL and _painful_early(
            choosing.patient
        )
        level = _flow(planned.exercise, ritual, choosing.library)
        uncorrected = _needs_correction(planned.exercise, choosing.patient) and not any(
            p.exercise.meta.marked_side_only
            and _flow(p.exercise, ritual, choosing.library) <= level
            for p in members
        )
        if (
            takes
            and not breathing
            and not floor
            and not uncorrected
            and planned.id not in {p.id for p in members}
        ):
            members.append(replace(planned, dose=_micro(planned.dose)))
    if len(members) == len(session.exercises):
        return session
    order = {block.id: index for index, block in enumerate(choosing.library.blocks)}
    getting_up = [p for p in members if _gets_up(p.exercise, choosing.patient)]
    rest = sorted(
        (p for p in members if p not in getting_up),
        key=lambda p: (
            _flow(p.exercise, ritual, choosing.library),
            order[p.exercise.meta.block],
            not p.exercise.meta.marked_side_only,
        ),
    )
    return _session(
        session.id, [*getting_up, *rest], session.per_day, session.per_week, ritual,
        session.every_min,
    )  # fmt: skip


def _day_within_budget(
    main: list[PlannedExercise],
    choosing: _Choosing,
    cover: _Cover,
    dropped: list[tuple[str, str]],
    practice: Sequence[PlannedExercise],
    daily: Sequence[Exercise],
) -> list[Session]:
    budget = choosing.budget
    # The main session first keeps its own minutes, so the rituals are made around the
    # main session the patient will do (and the day's distinct exercises it leaves room for).
    while _session("main", main).minutes > budget.main_minutes:
        alone = _trim(main, [], choosing, dropped, main_first=True, only_main=True)
        if alone is None:
            break
        main = alone[0]

    def compose(fill: float) -> list[tuple[Ritual, list[PlannedExercise]]]:
        fed = _Cover.of(choosing.patient)  # what the day holds so far, after the trims
        for exercise in [*(p.exercise for p in (*main, *practice)), *daily]:
            fed.add(exercise)
        return _rituals(main, choosing, fed, practice, daily, fill)

    rituals = compose(RITUAL_FILL)
    if _ritual_minutes(rituals) < budget.day_minimum:  # a short day: rituals up to their minutes
        rituals = compose(1.0)
    while True:
        sessions = _best_rhythm(main, rituals, choosing)
        main_day = sum(s.minutes * (s.per_day or 1) for s in sessions)
        other_day = main_day - sessions[0].minutes
        if other_day < budget.day_minimum and main_day < budget.main_day_minutes:
            fuller = _fuller(rituals, choosing)
            if fuller is not None:  # a day without the main session is too short: more sets
                longer = _best_rhythm(main, fuller, choosing)
                if sum(s.minutes * (s.per_day or 1) for s in longer) <= budget.main_day_minutes:
                    rituals = fuller
                    continue
        long_main = sessions[0].minutes > budget.main_minutes
        over = main_day > budget.main_day_minutes or other_day > budget.day_minutes
        if not over and not long_main:
            return sessions
        trimmed = _trim(main, rituals, choosing, dropped, main_first=long_main, only_main=not over)
        if trimmed is None:
            return sessions
        main, rituals = trimmed


def _shorter(planned: PlannedExercise) -> PlannedExercise:
    """A timed drill at half its minutes (never under SHORTEST_MINUTES), saying why."""
    dose = planned.dose
    minutes = max(SHORTEST_MINUTES, (dose.minutes or 0) // 2)
    notes = dose.adjustments if "shorter" in dose.adjustments else (*dose.adjustments, "shorter")
    return replace(planned, dose=replace(dose, minutes=minutes, adjustments=notes))


def _fuller(
    rituals: list[tuple[Ritual, list[PlannedExercise]]], choosing: _Choosing
) -> list[tuple[Ritual, list[PlannedExercise]]] | None:
    """A ritual member back to one more of its sets (a micro-dose is one), the most useful
    first; None if every member does all its sets already."""
    options = []
    for index, (_, members) in enumerate(rituals):
        for planned in members:
            full = plan_dose(planned.exercise, choosing.patient).sets
            if planned.dose.sets < full:
                options.append((_value(planned, choosing), planned.id, index, planned))
    if not options:
        return None
    _, _, index, best = max(options, key=lambda option: option[:2])
    ritual, members = rituals[index]
    more = replace(best, dose=replace(best.dose, sets=best.dose.sets + 1))
    changed = list(rituals)
    changed[index] = (ritual, [more if p is best else p for p in members])
    return changed


def _trim(
    main: list[PlannedExercise],
    rituals: list[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    dropped: list[tuple[str, str]],
    main_first: bool,
    only_main: bool,
) -> tuple[list[PlannedExercise], list[tuple[Ritual, list[PlannedExercise]]]] | None:
    """One step towards the budget, the least loss first: fewer sets in the main session;
    if the whole day is too long, an exercise a ritual repeats from another ritual, then a
    ritual's least useful extra; then one set of a task's practice; then the weaker side's
    extra set; then the main session's least useful exercise (never the clinician's, the
    only drill for a daily-life goal, or in phases 2-3 the only stability or strength
    exercise); then the only stability or strength exercise, the less useful first (a goal's
    only practice and the only loading a precaution needs stay); then a shorter timed drill.
    None: nothing is left to take away."""
    heavy = [p for p in main if p.dose.sets > 2 and not p.pinned]
    if heavy:
        least = min(heavy, key=lambda p: (_value(p, choosing), p.id))
        fewer = replace(least, dose=replace(least.dose, sets=2))
        return [fewer if p is least else p for p in main], rituals
    everyone = [*main, *(p for _, members in rituals for p in members)]
    in_main = {p.id for p in main}
    if not only_main:
        thinner = _thinner_rituals(rituals, choosing, everyone, in_main, dropped)
        if thinner is not None:
            return main, thinner
    rehearsals = [p for p in main if p.dose.sets > 1 and p.rehearses and not p.held]
    if rehearsals:  # a task's practice to one set, before the weak side's extra set
        most = max(rehearsals, key=lambda p: (p.dose.seconds, p.id))
        notes = (*most.dose.adjustments, "one_set")
        one = replace(most, dose=replace(most.dose, sets=1, adjustments=notes))
        return [one if p is most else p for p in main], rituals
    extra = [p for p in main if p.dose.extra_side and not p.pinned]
    if extra:  # both sides the same: the set more on the weaker side, before an exercise
        most = max(extra, key=lambda p: (p.dose.seconds, p.id))
        even = replace(most, dose=replace(most.dose, extra_side=None, extra_hand=None))
        return [even if p is most else p for p in main], rituals
    if not only_main:  # and in a ritual, where it is done every day
        for index, (ritual, members) in enumerate(rituals):
            sided = [p for p in members if p.dose.extra_side and not p.pinned]
            if sided:
                most = max(sided, key=lambda p: (p.dose.seconds, p.id))
                even = replace(most, dose=replace(most.dose, extra_side=None, extra_hand=None))
                evened = list(rituals)
                evened[index] = (ritual, [even if p is most else p for p in members])
                return main, evened
    removable = [p for p in main if not p.held and not _value(p, choosing, everyone)[1]]
    if len(main) > choosing.budget.main_min and removable:
        daily = {p.id for _, members in rituals for p in members}
        least = min(  # what a ritual does every day anyway goes first
            removable, key=lambda p: (p.id not in daily, _value(p, choosing, everyone), p.id)
        )
        why = "the main session short" if main_first else "the day short"
        dropped.append((least.id, f"left out of the main session to keep {why}"))
        return [p for p in main if p is not least], rituals
    capacity = [p for p in main if not p.held and _value(p, choosing, everyone)[1] == 1]
    if len(main) > choosing.budget.main_min and capacity:
        least = min(capacity, key=lambda p: (_value(p, choosing, everyone), p.id))
        dropped.append((least.id, "left out to keep the main session within its minutes"))
        return [p for p in main if p is not least], rituals
    timed = [  # a walk or a standing drill that rehearses a goal keeps its time
        p
        for p in main
        if (p.dose.minutes or 0) > SHORTEST_MINUTES and not p.pinned and not p.rehearses
    ]
    if timed:
        most = max(timed, key=lambda p: (p.dose.minutes or 0, p.id))
        shorter = _shorter(most)
        return [shorter if p is most else p for p in main], rituals
    return None


def _thinner_rituals(
    rituals: list[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    everyone: Sequence[PlannedExercise],
    in_main: set[str],
    dropped: list[tuple[str, str]],
) -> list[tuple[Ritual, list[PlannedExercise]]] | None:
    """One ritual member fewer: first one another ritual repeats, then the least useful
    extra; never the move out of bed, a pin, or what leaves the rituals too short a day."""
    seen: dict[str, int] = {}
    for _, exercises in rituals:
        for planned in exercises:
            seen[planned.id] = seen.get(planned.id, 0) + 1
    candidates = [
        (index, planned)
        for index, (ritual, exercises) in enumerate(rituals)
        for planned in exercises
        if not planned.held
        and not _needed_in_ritual(planned, ritual, choosing)
        and not (  # the glide stays while an extension drill in the ritual needs it first
            planned.exercise.meta.marked_side_only
            and any(_needs_correction(p.exercise, choosing.patient) for p in exercises)
        )
        and not (planned.rehearses and _value(planned, choosing, everyone)[1])
    ]
    if not candidates:
        return None

    def loss(member: tuple[int, PlannedExercise]) -> tuple[object, ...]:
        index, planned = member
        repeated = seen[planned.id] > 1 and not planned.exercise.meta.marked_side_only
        left = sum(
            _weekly(ritual)
            for number, (ritual, exercises) in enumerate(rituals)
            if number != index and any(p.id == planned.id for p in exercises)
        ) + (MAIN_DAYS[-1] if planned.id in in_main else 0)
        too_rare = left < 0.5 * weekly_dose(planned.exercise, choosing.patient.phase)
        # a repeat goes from the last ritual that has it; a ritual's own goal drill stays
        return (
            too_rare,
            not repeated,
            bool(_value(planned, choosing, everyone)[3]),  # the day's only drill for a finding
            planned.id in in_main,
            bool(planned.rehearses),
            _value(planned, choosing, everyone),
            -index if repeated else index,
            planned.id,
        )

    # The days without the main session keep their minimum where they can; a main-session
    # day over its minutes matters more than one of those a minute or two short.
    for floor in (choosing.budget.day_minimum, choosing.budget.day_minimum * 0.8):
        for index, least in sorted(candidates, key=loss):
            ritual, exercises = rituals[index]
            thinner = list(rituals)
            thinner[index] = (ritual, [p for p in exercises if p is not least])
            if _ritual_minutes(thinner) < floor:
                continue
            still = any(p.id == least.id for _, rest in thinner for p in rest)
            if least.id not in in_main and not still:
                why = f"left out of the {ritual.id} ritual to keep the day short"
                dropped.append((least.id, why))
            return thinner
    return None


def _ritual_minutes(rituals: Sequence[tuple[Ritual, Sequence[PlannedExercise]]]) -> int:
    """The minutes of a day of rituals alone, with the fewest resets."""
    total = 0
    for ritual, members in rituals:
        if members:
            times = 2 if ritual.id == "midday" else 1
            total += _session(ritual.id, members).minutes * times
    return total


def _best_rhythm(
    main: list[PlannedExercise],
    rituals: Sequence[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    week_minutes: int | None = None,
) -> list[Session]:
    """The main session's days a week and the resets a day that keep the week within its
    minutes and most exercises within half and twice their library dose, then the shortest
    day."""
    options = []
    for days in choosing.main_days:
        for resets in range(2, choosing.budget.resets_max + 1):
            sessions = _sessions(main, rituals, choosing, days, resets)
            exposures = _exposures(sessions)
            off = sum(
                1
                for session in sessions
                for planned in session.exercises
                if "clinician" not in planned.dose.adjustments
                and not _within(exposures[planned.id], planned.exercise, choosing)
            )
            total = sum(s.minutes * s.per_week_total for s in sessions)
            over = week_minutes is not None and total > week_minutes
            # a short day is not filled with more main sessions: strength needs rest days
            rank = (over, total if over else 0, off, total, days, resets)
            options.append((rank, sessions))
    return min(options, key=lambda option: option[0])[1]


def _within(per_week: int, exercise: Exercise, choosing: _Choosing) -> bool:
    target = weekly_dose(exercise, choosing.patient.phase)
    return 0.5 * target <= per_week <= 2 * target


def _exposures(sessions: Sequence[Session]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for session in sessions:
        for planned in session.exercises:
            counts[planned.id] = counts.get(planned.id, 0) + session.per_week_total
    return counts


def _sessions(
    main: list[PlannedExercise],
    rituals: Sequence[tuple[Ritual, list[PlannedExercise]]],
    choosing: _Choosing,
    days: int,
    resets: int,
) -> list[Session]:
    sessions = [_session("main", main, per_week=days)]
    for ritual, members in rituals:
        if not members:
            continue
        per_day, every_min = 1, None
        if ritual.id == "midday":
            every_min, per_day = _reset_rhythm(members, resets)
        if every_min is not None:  # the note's interval is for its drill, not for the rest
            members = [
                p
                for p in members
                if p.held or 7 * per_day <= 2 * weekly_dose(p.exercise, choosing.patient.phase)
            ]
        sessions.append(
            _session(ritual.id, members, per_day=per_day, ritual=ritual, every_min=every_min)
        )
    return sessions


WORKING_DAY_MINUTES = 600  # the waking, working hours a reset interval spreads over


def _reset_rhythm(members: Sequence[PlannedExercise], resets: int) -> tuple[int | None, int]:
    """How many resets a day, and an interval only where the clinician's note set one ("the
    glide every two hours"): then as many resets as fit a working day. A count and an
    interval chosen together would contradict each other ("twice a day, every 45 minutes")."""
    asked = [p.every_min for p in members if p.every_min]
    if not asked:
        return None, resets
    every = min(asked)
    return every, max(2, min(12, WORKING_DAY_MINUTES // every))


def _maintenance(
    main: list[PlannedExercise], choosing: _Choosing, dropped: list[tuple[str, str]]
) -> list[Session]:
    """Phase 4: one routine of ten to fifteen minutes, four to six exercises, several days a
    week; the patient's sport is their own activity, not part of the routine."""
    budget, library = choosing.budget, choosing.library
    sport = _sports(library)
    routine: list[PlannedExercise] = []
    for planned in main:
        tasks = set(planned.exercise.meta.tasks)
        if tasks and tasks <= sport and not planned.held:
            dropped.append((planned.id, "the patient's own sport replaces it in phase 4"))
        else:
            routine.append(planned)
    # A drill left for the sport makes room for another exercise that serves the patient;
    # a routine under its minutes takes one more, up to the main session's size.
    while len(routine) < budget.main_min or (
        len(routine) < budget.main_max
        and _session("main", routine).minutes < budget.maintenance_min
    ):
        more = _one_more(routine, choosing)
        if more is None:
            break
        routine = sorted(
            [*routine, more], key=lambda p: (choosing.order[p.exercise.meta.block], p.id)
        )
    high = budget.maintenance_max
    while True:
        sessions = _best_rhythm(routine, (), choosing, high * MAIN_DAYS[-1])
        if sessions[0].minutes <= high:
            break
        trimmed = _trim(routine, [], choosing, dropped, main_first=True, only_main=True)
        if trimmed is not None:
            routine = trimmed[0]
            continue
        # Strength is kept with a third of the work that built it: one set of each.
        heavy = [p for p in routine if p.dose.sets > 1 and not p.pinned]
        if not heavy:
            break
        least = min(heavy, key=lambda p: (_value(p, choosing, routine), p.id))
        fewer = replace(least, dose=replace(least.dose, sets=1))
        routine = [fewer if p is least else p for p in routine]
    for index, (name, why) in enumerate(dropped):
        if why.startswith("left out of the main session"):
            dropped[index] = (name, "left out to keep the maintenance routine short")
    return sessions


def _one_more(routine: Sequence[PlannedExercise], choosing: _Choosing) -> PlannedExercise | None:
    """The most useful exercise a maintenance routine could add: of a pattern it lacks, for
    this patient, no sport, daily-context drill or bed drill."""
    sport = _sports(choosing.library)
    taken = {choosing.pattern(p.exercise) for p in routine}
    pool = [
        e
        for e in choosing.eligible
        if choosing.pattern(e) not in taken
        and not e.meta.activity
        and not (e.meta.tasks and set(e.meta.tasks) <= sport)
        and not _daily_context(e, choosing.patient.phase)
        and e.meta.position != "lying_in_bed"
        and _relevant(e, choosing.patient, choosing.library)
    ]
    cover = _Cover.of(choosing.patient)
    for planned in routine:
        cover.add(planned.exercise)
    choice = _best(pool, choosing, cover)
    return None if choice is None else _planned(choice, choosing.patient)


def _session(
    session_id: str,
    exercises: Sequence[PlannedExercise],
    per_day: int | None = None,
    per_week: int | None = None,
    ritual: Ritual | None = None,
    every_min: int | None = None,
) -> Session:
    """A session sets how often its exercises are done in it, so their doses follow it."""
    if per_day is None and per_week is None:
        per_day = 1
    timed = tuple(
        replace(
            p,
            dose=replace(p.dose, per_day=per_day, per_week=per_week),
            every_min=every_min or p.every_min,
        )
        for p in exercises
    )
    return Session(session_id, timed, per_day, per_week, ritual, every_min)


_SPREAD = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 5),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


def _weekly_rhythm(sessions: Sequence[Session]) -> tuple[tuple[str, ...], ...]:
    """Which sessions fall on which day, Monday first: weekly sessions spread out."""
    days: list[list[str]] = [[] for _ in range(7)]
    for session in sessions:
        chosen = _SPREAD[min(7, session.per_week)] if session.per_week else range(7)
        for index in chosen:
            days[index].append(session.id)
    return tuple(tuple(ids) for ids in days)


def _phases(choosing: _Choosing, today: list[Exercise]) -> tuple[PhaseStep, ...]:
    """Today's exercises, and where they lead in each later phase: one step further each
    phase where the next step is allowed; in phase 4, the maintenance routine."""
    patient, library = choosing.patient, choosing.library
    steps = []
    ahead = list(today)
    for phase in library.phases:
        ids: tuple[str, ...] = ()
        if phase.number < patient.phase:
            status = "done"
        elif phase.number == patient.phase:
            status, ids = "current", tuple(e.id for e in today)
        else:
            status = "next" if phase.number == patient.phase + 1 else "later"
            before = {e.id for e in ahead}
            ahead = _ahead(ahead, phase.number, choosing)
            if {e.id for e in ahead} == before:  # nothing moved on: one exercise of this phase
                fresh = _fresh(ahead, phase.number, choosing)
                if fresh is not None:
                    ahead.append(fresh)
            ids = tuple(e.id for e in ahead)
            if phase.number >= 4:
                ids = _routine_preview(ahead, phase.number, choosing)
        steps.append(
            PhaseStep(
                number=phase.number,
                name=phase.name,
                aim=phase.aim,
                exit_criteria=tuple(phase.exit_criteria),
                status=status,
                exercises=ids,
            )
        )
    return tuple(steps)


def _ahead(exercises: Sequence[Exercise], phase: int, choosing: _Choosing) -> list[Exercise]:
    """Each exercise one step on in `phase`: its harder version where allowed, else itself,
    else the first allowed version further up its ladder; gone if none is allowed. A step
    that rehearses only tasks the patient does not have is passed over (a shelf reach for
    someone with no overhead goal). Then every goal keeps a drill that rehearses it."""
    patient, library = choosing.patient, choosing.library
    ahead: dict[str, Exercise] = {}
    for exercise in exercises:
        nxt = library.exercises.get(exercise.meta.progresses_to or "")
        if nxt is not None and _may_preview(nxt, phase, choosing):
            ahead.setdefault(nxt.id, nxt)
            continue
        found = _continue(exercise, phase, choosing)
        if found:
            ahead.setdefault(found, library.exercises[found])
    # One of each pattern: the furthest along its ladder (a bag pickup, not also a wall hinge).
    furthest: dict[str, Exercise] = {}
    for exercise in ahead.values():
        family = choosing.pattern(exercise)
        held = furthest.get(family)
        if held is None or min(exercise.meta.phases) > min(held.meta.phases):
            furthest[family] = exercise
    kept = set(map(id, furthest.values()))
    ahead = {name: e for name, e in ahead.items() if id(e) in kept}
    sport = _sports(library)
    for task in patient.tasks:
        if (task in sport and phase >= 4) or any(task in e.meta.tasks for e in ahead.values()):
            continue
        serving = [
            e
            for e in library.exercises.values()
            if task in e.meta.tasks and _may_preview(e, phase, choosing)
        ]
        serving.sort(key=lambda e: (abs(min(e.meta.phases) - phase), e.id))
        if serving:
            ahead.setdefault(serving[0].id, serving[0])
    return list(ahead.values())


def _fresh(ahead: Sequence[Exercise], phase: int, choosing: _Choosing) -> Exercise | None:
    """An exercise made for `phase` (first used in it) that serves this patient, of a pattern
    the preview does not hold yet where there is one: so a later phase always moves on."""
    taken = {choosing.pattern(e) for e in ahead}
    patient, library = choosing.patient, choosing.library
    fresh = [
        e
        for e in library.exercises.values()
        if min(e.meta.phases) == phase
        and e not in ahead
        and e.meta.block != SETTLE_BLOCK
        and not e.meta.activity
        and _relevant(e, patient, library)
        and _may_preview(e, phase, choosing)
    ]
    # a new pattern first; else the harder exercise of one the preview has
    fresh.sort(
        key=lambda e: (
            choosing.pattern(e) in taken,
            -len(set(e.meta.targets) & set(patient.findings)),
            e.id,
        )
    )
    return fresh[0] if fresh else None


def _may_preview(exercise: Exercise, phase: int, choosing: _Choosing) -> bool:
    """Allowed in `phase`, not excluded, and not the practice of tasks the patient lacks (a
    step-up, strength work that also rehearses stairs, is fine)."""
    patient = choosing.patient
    return (
        exercise.id not in patient.assessment.overrides.exclude
        and not why_not(exercise, patient, choosing.library, phase)
        and _sided_if_marked(exercise, patient)
        and not _foreign_task(exercise, patient)
    )


def _routine_preview(
    exercises: Sequence[Exercise], phase: int, choosing: _Choosing
) -> tuple[str, ...]:
    """The maintenance routine a later phase 4 would keep: at most the main session's size,
    the most useful first, without drills for a sport the patient will simply do, and without
    a settling drill or a move out of bed (a short routine of what keeps the gains)."""
    library, patient = choosing.library, choosing.patient
    sport = _sports(library)
    kept = [
        e
        for e in exercises
        if not (e.meta.tasks and set(e.meta.tasks) <= sport)
        and e.meta.block != SETTLE_BLOCK
        and (e.meta.position != "lying_in_bed" or set(e.meta.tasks) & set(patient.tasks))
    ]
    goals = set(patient.tasks) - sport
    ranked = sorted(
        kept,
        key=lambda e: (
            not set(e.meta.tasks) & goals,  # every goal keeps its practice
            not set(e.meta.loads) & choosing.loads_needed,  # bone keeps its load
            -(
                len(set(e.meta.targets) & set(patient.findings))
                + len(set(e.meta.tasks) & set(patient.tasks))
            ),
            e.id,
        ),
    )
    chosen = [e for e in kept if e.id in {r.id for r in ranked[: choosing.budget.main_max]}]
    taken = {choosing.pattern(e) for e in chosen}
    more = sorted(  # a routine of four at least: more of what serves the patient
        (
            e
            for e in library.exercises.values()
            if choosing.pattern(e) not in taken
            and e.meta.block != SETTLE_BLOCK
            and e.meta.position != "lying_in_bed"
            and not e.meta.activity
            and _relevant(e, patient, library)
            and _may_preview(e, phase, choosing)
        ),
        key=lambda e: (-len(set(e.meta.targets) & set(patient.findings)), e.id),
    )
    for exercise in more:
        if len(chosen) >= choosing.budget.main_min:
            break
        if choosing.pattern(exercise) not in taken:
            chosen.append(exercise)
            taken.add(choosing.pattern(exercise))
    return tuple(e.id for e in chosen)


def _continue(exercise: Exercise, phase: int, choosing: _Choosing) -> str:
    """Follow progressions to the first version that suits `phase`: continuity across phases."""
    library = choosing.library
    current: Exercise | None = exercise
    seen: set[str] = set()
    best = ""
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if _may_preview(current, phase, choosing):
            best = current.id
        nxt = current.meta.progresses_to
        current = library.exercises.get(nxt) if nxt else None
    return best
