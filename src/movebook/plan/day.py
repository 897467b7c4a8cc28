"""The day and the week: main days, the daily drills in the main session, the time budget and
its trims, rhythms and sessions, and the phase-4 maintenance routine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from movebook.model import Exercise, Ritual
from movebook.notes import NoteReading
from movebook.plan.dose import _micro, _planned, phase_dose, plan_dose, weekly_dose
from movebook.plan.model import (
    MAIN_DAYS,
    PRACTICE,
    RITUAL_FILL,
    SETTLE_BLOCK,
    SETTLE_SECONDS,
    SHORTEST_MINUTES,
    PlannedExercise,
    Session,
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
    _relevant,
    _sports,
    _value,
)


def _main_days(reading: NoteReading, phase: int) -> tuple[int, ...]:
    """The main session's (or the routine's) days a week: as the note says, else chosen."""
    asked = reading.program_per_week
    if asked is not None and 1 <= asked <= 7:
        return (asked,)
    # Phase 1 builds no strength, so needs no rest days: its drills are dosed for every day.
    return MAIN_DAYS if phase > 1 else (*MAIN_DAYS, 6, 7)


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
