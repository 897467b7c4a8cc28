"""Choosing exercises: what a patient may do (why_not), scoring and the best candidate, the
practice within the day, the main session and its order, and what stays unserved."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from movebook.model import Budget, Exercise, Library
from movebook.plan.dose import _planned, phase_dose, plan_dose, weekly_dose
from movebook.plan.model import (
    CAPACITY_BLOCKS,
    MAIN_DAYS,
    PRACTICE,
    SETTLE_BLOCK,
    SETTLE_SECONDS,
    SHIFT,
    TASK_BLOCK,
    Patient,
    PlannedExercise,
)


def why_not(
    exercise: Exercise, patient: Patient, library: Library, phase: int | None = None
) -> str:
    """Why an exercise cannot be given to this patient in a phase, or '' if it can."""
    meta = exercise.meta
    phase = patient.phase if phase is None else phase
    if phase not in meta.phases:
        return f"it is not used in phase {phase}"
    missing = sorted(set(meta.equipment) - patient.equipment)
    if missing:
        return f"it needs {', '.join(missing)}"
    if meta.only_for_tasks and not set(meta.only_for_tasks) & set(patient.tasks):
        return f"it is only for a {' or '.join(meta.only_for_tasks)} goal"
    vocabulary = library.vocabulary
    position = vocabulary.positions.get(meta.position)
    if position is not None and position.floor:
        findings = vocabulary.findings
        no_floor = [
            f
            for f in patient.findings
            if f in findings
            and (
                findings[f].rules_out_floor
                or phase < (findings[f].rules_out_floor_before_phase or 0)
            )
        ]
        if no_floor:
            return f"it is done on the floor, which {', '.join(no_floor)} rules out for now"
    holding = patient.supports.get(meta.position, ())
    if holding and meta.supported is None:
        return (
            f"it is done {meta.position} with nothing to hold, which {', '.join(holding)} rules out"
        )
    recorded = set(patient.findings) | patient.precautions
    against = [c for c in meta.contraindications if c in recorded]
    if against:
        return f"it is contraindicated by {', '.join(against)}"
    early = [
        f"{c} before phase {first}"
        for c, first in meta.contraindicated_before_phase.items()
        if c in recorded and phase < first
    ]
    if early:
        return f"it is contraindicated by {', '.join(early)}"
    # A lateral shift is corrected first (McKenzie): extension waits until the patient stands
    # straight, unless the drill is itself the shift correction (done on the marked side).
    if (
        SHIFT in patient.findings
        and phase == 1
        and "extension" in meta.spine
        and not meta.marked_side_only
    ):
        return f"it moves into extension, which waits until the {SHIFT} is corrected"
    # A back that is still shifted is not loaded: a lift waits until the patient stands straight.
    if SHIFT in patient.findings and phase == 1 and "spine" in meta.loads:
        return f"it loads the spine, which waits until the {SHIFT} is corrected"
    preference = patient.assessment.signature.directional_preference
    direction = library.vocabulary.directions.get(preference)
    if direction and direction.avoid_until_phase and phase < direction.avoid_until_phase:
        avoided = sorted(set(meta.spine) & set(direction.avoids))
        if avoided:
            return (
                f"it moves into {', '.join(avoided)}, which the patient's {preference} preference "
                f"avoids before phase {direction.avoid_until_phase}"
            )
    return ""


@dataclass
class _Cover:
    """How often each finding and goal is fed so far; drives variety and redundancy."""

    findings: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, patient: Patient) -> _Cover:
        """Nothing fed yet: every finding and goal of the patient at zero."""
        return cls({f: 0 for f in patient.findings}, {t: 0 for t in patient.tasks})

    def add(self, exercise: Exercise) -> None:
        for target in exercise.meta.targets:
            if target in self.findings:
                self.findings[target] += 1
        for task in exercise.meta.tasks:
            if task in self.tasks:
                self.tasks[task] += 1


@dataclass(frozen=True)
class _Choosing:
    """What every choice of one plan needs to know."""

    patient: Patient
    library: Library
    eligible: tuple[Exercise, ...]
    kept: frozenset[str]  # where the last plan's exercises lead now: chosen first
    avoid: frozenset[str]  # the last plan's step backs, for a patient who is not worse
    budget: Budget
    main_days: tuple[int, ...] = MAIN_DAYS  # the note's "three times a week", else the choice

    def placed(self, exercise: Exercise) -> str:
        """Where an exercise the note asks for goes: the main session, a ritual ("morning",
        "midday"), or the day's practice; "" when the note does not ask for it."""
        if exercise.id not in self.patient.asked:
            return ""
        timing = self.patient.asked[exercise.id]
        meta = exercise.meta
        rituals = self.patient.phase < 4
        if meta.activity or (timing and timing.event):
            return PRACTICE
        if timing and timing.moment:  # first thing, or every morning
            return "morning" if rituals else PRACTICE
        if timing and (timing.every_min or timing.per_day):
            if rituals and "midday" in meta.rituals:
                return "midday"
            return PRACTICE if not rituals or not meta.rituals else meta.rituals[0]
        if meta.position == "lying_in_bed":
            return "morning" if rituals else ""
        if rituals and _daily_context(exercise, self.patient.phase):
            return meta.rituals[0]
        return "main"

    @functools.cached_property
    def order(self) -> dict[str, int]:
        return {block.id: index for index, block in enumerate(self.library.blocks)}

    @functools.cached_property
    def families(self) -> dict[str, str]:
        return _families(self.library)

    def pattern(self, exercise: Exercise) -> str:
        return exercise.meta.pattern or self.families[exercise.id]

    @functools.cached_property
    def loads_needed(self) -> frozenset[str]:
        """The regions to load with strength work: a precaution's from phase 2 on
        (osteoporosis: the legs), a lifting or carrying goal's from phase 3 on."""
        phase, vocabulary = self.patient.phase, self.library.vocabulary
        needed: set[str] = set()
        if phase >= 2:
            for name in self.patient.precautions:
                if name in vocabulary.precautions:
                    needed.update(vocabulary.precautions[name].needs_load)
        if phase >= 3:
            for task in self.patient.tasks:
                if task in vocabulary.tasks:
                    needed.update(vocabulary.tasks[task].loads)
        return frozenset(needed)


def _families(library: Library) -> dict[str, str]:
    """Exercises linked as each other's easier or harder version move in one pattern: the
    name of each exercise's family (the first id of its ladder)."""
    parent = {exercise_id: exercise_id for exercise_id in library.exercises}

    def root(exercise_id: str) -> str:
        while parent[exercise_id] != exercise_id:
            exercise_id = parent[exercise_id]
        return exercise_id

    for exercise in library.exercises.values():
        for other in (exercise.meta.regresses_to, exercise.meta.progresses_to):
            if other in parent:
                a, b = sorted((root(exercise.id), root(other)))
                parent[b] = a
    return {exercise_id: root(exercise_id) for exercise_id in library.exercises}


def _sports(library: Library) -> set[str]:
    """The goal tasks that are a sport: they may wait for phase 3, and are the patient's own
    activity in phase 4."""
    return {name for name, task in library.vocabulary.tasks.items() if task.sport}


def _score(exercise: Exercise, choosing: _Choosing, cover: _Cover) -> tuple[float, ...]:
    """Higher is better: what the last plan leads to, new findings and goals, then fit."""
    meta = exercise.meta
    patient, library = choosing.patient, choosing.library
    new_findings = sum(1 for t in meta.targets if cover.findings.get(t) == 0)
    fed_findings = sum(1 for t in meta.targets if cover.findings.get(t, -1) > 0)
    new_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t) == 0)
    fed_tasks = sum(1 for t in meta.tasks if cover.tasks.get(t, -1) > 0)
    favoured = 1 if _favoured(exercise, patient, library) else 0
    kept = 4 if exercise.id in choosing.kept else 0
    # Prefer the version made for this phase: in phase 3 a goblet squat over a chair squat.
    fit = -abs(min(meta.phases) - patient.phase)
    value = new_findings * 3 + new_tasks * 3 + favoured * 2 + fed_findings + fed_tasks + kept
    return (value, fit)


def _best(candidates: Iterable[Exercise], choosing: _Choosing, cover: _Cover) -> Exercise | None:
    ranked = sorted(candidates, key=lambda e: (_score(e, choosing, cover), e.id), reverse=True)
    return ranked[0] if ranked else None


def _favoured(exercise: Exercise, patient: Patient, library: Library) -> bool:
    """Does the exercise move the way this patient's directional preference eases?"""
    preference = patient.assessment.signature.directional_preference
    direction = library.vocabulary.directions.get(preference)
    return bool(direction and set(direction.favours) & set(exercise.meta.spine))


def _relevant(exercise: Exercise, patient: Patient, library: Library) -> bool:
    """Does it serve this patient: a finding, a goal, or the direction that eases them? The
    practice of a daily task serves a patient with that task."""
    return not _foreign_task(exercise, patient) and (
        bool(set(exercise.meta.targets) & set(patient.findings))
        or bool(set(exercise.meta.tasks) & set(patient.tasks))
        or _favoured(exercise, patient, library)
    )


def _practice(choosing: _Choosing, cover: _Cover) -> list[PlannedExercise]:
    """Activities practised within the day (a walk, standing at the stove, a journey's seat
    routine), dosed as the library says: one for each goal it is made for (its first task),
    or for another goal that no session drill could rehearse."""
    patient, library = choosing.patient, choosing.library
    sport = _sports(library)
    activities = [e for e in choosing.eligible if e.meta.activity]
    drills = [e for e in choosing.eligible if not e.meta.activity]
    by_id = {e.id: e for e in activities}
    picked = [by_id[i] for i in patient.assessment.overrides.include if i in by_id]
    picked += [  # what the note asks for at an event of the day ("before every performance")
        e for e in choosing.eligible if choosing.placed(e) == PRACTICE and e not in picked
    ]
    for exercise in picked:
        cover.add(exercise)
    for task in patient.tasks:
        if (task in sport and patient.phase != 3) or cover.tasks.get(task, 0):
            continue
        made_for = [e for e in activities if e.meta.tasks[:1] == [task]]
        if patient.phase >= 4 and not made_for:  # no rituals then: getting up is its own time
            made_for = [
                e for e in drills if task in e.meta.tasks and e.meta.position == "lying_in_bed"
            ]
        if not made_for and not any(task in e.meta.tasks for e in drills):
            made_for = [e for e in activities if task in e.meta.tasks]
        choice = _best(made_for, choosing, cover)
        if choice is not None and choice not in picked:
            picked.append(choice)
            cover.add(choice)
    pinned = set(patient.assessment.overrides.include)
    return [_planned(e, patient, pinned=e.id in pinned) for e in picked]


def _daily_context(exercise: Exercise, phase: int) -> bool:
    """A goal's drill practised every day where the task happens (a desk break, a sit to
    stand): it belongs to a ritual, not to the main session."""
    meta = exercise.meta
    return (
        bool(meta.tasks and meta.rituals)
        and not meta.activity
        and meta.block == "integration"
        and phase_dose(exercise, phase).per_day is not None
    )


def _ritual_goals(choosing: _Choosing, cover: _Cover) -> list[Exercise]:
    """A goal practised where it happens, every day: a desk break in the mid-day reset, not
    in the main session (in phase 4, which has no rituals, within the working day)."""
    patient = choosing.patient
    sport = _sports(choosing.library)
    picked: list[Exercise] = []
    for task in patient.tasks:
        if task in sport or cover.tasks.get(task, 0):
            continue
        daily = [
            e
            for e in choosing.eligible
            if task in e.meta.tasks
            and e.id not in choosing.avoid
            and _daily_context(e, patient.phase)
        ]
        choice = _best(daily, choosing, cover)
        if choice is not None and choice not in picked:
            picked.append(choice)
            cover.add(choice)
    rituals = {ritual.id for ritual in choosing.library.rituals}
    for exercise in choosing.eligible:  # what the note asks for in a ritual, first of all
        if choosing.placed(exercise) in rituals and exercise not in picked:
            picked.insert(0, exercise)
            cover.add(exercise)
    return picked


def _main_session(
    choosing: _Choosing, cover: _Cover, elsewhere: Collection[str] | None = None
) -> list[PlannedExercise]:
    """Four to six exercises that matter, one per block where a block has one for this patient,
    in block order: each serves a finding, a goal or the patient's direction, but for one
    settling drill; no two of one movement pattern."""
    patient, library, budget = choosing.patient, choosing.library, choosing.budget
    by_id = {e.id: e for e in choosing.eligible if not e.meta.activity}
    pinned = [  # the clinician's, unless a ritual does it every day
        by_id[i]
        for i in patient.assessment.overrides.include
        if i in by_id and i not in (elsewhere or ())
    ]
    asked = [e for e in choosing.eligible if choosing.placed(e) == "main" and e not in pinned]
    picked: list[Exercise] = [*pinned, *asked[: max(0, budget.main_max - len(pinned))]]
    for exercise in picked:
        cover.add(exercise)
    # Drills done in bed belong to the morning ritual: the patient gets up every day.
    pool = [
        e
        for e in choosing.eligible
        if e.id not in choosing.avoid
        and e.id not in (elsewhere or ())
        and not e.meta.activity
        and not (elsewhere is not None and _daily_context(e, patient.phase))
        and choosing.placed(e) != PRACTICE  # the note ties it to the day: "after digging"
        and not _foreign_task(e, patient)  # a task's practice, for a patient with the task
        and not (e.meta.position == "lying_in_bed" and e.meta.rituals)
    ]

    def free(exercise: Exercise, capacity: bool = False) -> bool:
        """Not picked, and no other of its pattern (two hinges; a squat and a sit-to-stand;
        a carry and a lift-and-carry) in the session. For the capacity a phase builds, a
        stability drill is no rival to a strength drill of its ladder: a standing march does
        not stand in for a hip hinge."""
        settled = exercise.meta.block == SETTLE_BLOCK and any(
            e.meta.block == SETTLE_BLOCK for e in picked
        )  # one settling drill is enough
        rivals = [
            e
            for e in picked
            if not (capacity and {e.meta.block, exercise.meta.block} == set(CAPACITY_BLOCKS))
        ]
        return (
            exercise not in picked
            and not settled
            and not any(choosing.pattern(e) == choosing.pattern(exercise) for e in rivals)
        )

    def useful(exercise: Exercise) -> bool:
        return _relevant(exercise, patient, library) or exercise.id in choosing.kept

    def pick_block(block_id: str) -> None:
        if any(e.meta.block == block_id for e in picked) or len(picked) >= budget.main_max:
            return
        here = [e for e in pool if e.meta.block == block_id and free(e)]
        candidates = [e for e in here if useful(e)]
        if block_id == SETTLE_BLOCK:  # one settling drill, even if it serves nothing else:
            # a few calm minutes to start, not a walk that takes the session's time
            short = [e for e in here if plan_dose(e, patient).seconds <= SETTLE_SECONDS]
            candidates = [e for e in candidates if e in short] or short or candidates or here
            # one the main session's days dose well; a daily drill waits for a ritual
            weekly = [e for e in candidates if weekly_dose(e, patient.phase) <= 2 * MAIN_DAYS[0]]
            candidates = weekly or candidates
        choice = _best(candidates, choosing, cover)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)

    pick_block(SETTLE_BLOCK)
    # Daily-life goals are practised from the start, at a safe level (sport may wait): they
    # come before the blocks fill the session, so that each has its drill.
    sport = _sports(library)
    for task in patient.tasks:
        waits = task in sport and patient.phase < 3
        serving = [e for e in pool if task in e.meta.tasks and e not in picked]
        if task in library.vocabulary.tasks and library.vocabulary.tasks[task].carried:
            # A carry where one suits, even beside a lift that rehearses it as well (a bag
            # pickup for the chores); before then (phase 1), a lift.
            carries = [e for e in serving if e.meta.carry]
            carried = any(e.meta.carry and task in e.meta.tasks for e in picked)
            serving = [] if carried else carries if carries or cover.tasks.get(task) else serving
        elif cover.tasks.get(task, 0):
            serving = []
        if waits or not serving or len(picked) >= budget.main_max:
            continue
        # A second lift in one session, say, rather than a goal left without practice.
        choice = _best([e for e in serving if free(e)] or serving, choosing, cover)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)
    # Bone needs load: a precaution's region (osteoporosis: the legs) gets a strength exercise.
    for region in sorted(choosing.loads_needed):
        if len(picked) >= budget.main_max or any(region in e.meta.loads for e in picked):
            continue
        loading = [e for e in pool if region in e.meta.loads and free(e)]
        strength = [e for e in loading if e.meta.block in CAPACITY_BLOCKS]  # not a task's
        choice = _best(strength or loading, choosing, cover)
        if choice is not None:
            picked.append(choice)
            cover.add(choice)
    # Phases 2-3 build capacity: a stability and a strength exercise for a current finding.
    if 2 <= patient.phase <= 3:
        for block_id in CAPACITY_BLOCKS:
            if len(picked) >= budget.main_max or any(
                e.meta.block == block_id and set(e.meta.targets) & set(patient.findings)
                for e in picked
            ):
                continue
            serving = [
                e
                for e in pool
                if e.meta.block == block_id
                and free(e, capacity=True)
                and set(e.meta.targets) & set(patient.findings)
            ]
            choice = _best(serving, choosing, cover)
            if choice is not None:
                picked.append(choice)
                cover.add(choice)
    # Then one exercise from each block still empty, the most useful first, while there is room.
    while len(picked) < budget.main_max:
        filled = {e.meta.block for e in picked}
        open_blocks = [b.id for b in library.blocks if b.id not in filled]
        candidates = [e for e in pool if e.meta.block in open_blocks and free(e) and useful(e)]
        choice = _best(candidates, choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    while len(picked) < budget.main_max:
        choice = _best([e for e in pool if free(e) and _adds_something(e, cover)], choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    while len(picked) < budget.main_min:  # few findings and goals: general capacity work
        fitting = [
            e
            for e in pool
            if free(e)
            and e.meta.position != "lying_in_bed"
            and not (e.meta.block == TASK_BLOCK and e.meta.tasks)  # general work, no task's
        ]
        choice = _best([e for e in fitting if useful(e)] or fitting, choosing, cover)
        if choice is None:
            break
        picked.append(choice)
        cover.add(choice)
    # With a shift, extension comes only after the glide that corrects it, in the session.
    extending = any("extension" in e.meta.spine and not e.meta.marked_side_only for e in picked)
    if SHIFT in patient.findings and extending:
        glides = [
            e
            for e in choosing.eligible
            if e.meta.marked_side_only and SHIFT in e.meta.targets and not e.meta.activity
        ]
        if glides and not any(e in picked for e in glides):
            glide = _best(glides, choosing, cover)
            if glide is not None:
                if len(picked) >= budget.main_max:
                    others = [e for e in picked if e not in pinned and e not in asked]
                    if others:
                        picked.remove(others[-1])
                picked.append(glide)
    pinned_ids = {e.id for e in pinned}
    return _in_order([_planned(e, patient, pinned=e.id in pinned_ids) for e in picked], choosing)


def _in_order(main: Sequence[PlannedExercise], choosing: _Choosing) -> list[PlannedExercise]:
    """The main session's order: blocks in their order, the shift's correction first; within
    a block, from the floor up, so positions change little."""
    shifted = SHIFT in choosing.patient.findings

    def key(planned: PlannedExercise) -> tuple[object, ...]:
        meta = planned.exercise.meta
        return (
            meta.block != SETTLE_BLOCK,
            not (shifted and meta.marked_side_only),
            choosing.order[meta.block],
            not meta.marked_side_only,
            _level(planned.exercise, choosing.library),
            planned.id,
        )

    return sorted(main, key=key)


def _adds_something(exercise: Exercise, cover: _Cover) -> bool:
    return any(cover.findings.get(t) == 0 for t in exercise.meta.targets) or any(
        cover.tasks.get(t) == 0 for t in exercise.meta.tasks
    )


def _value(
    planned: PlannedExercise, choosing: _Choosing, others: Sequence[PlannedExercise] = ()
) -> tuple[int, ...]:
    """How much an exercise is worth keeping when the day is too long: the clinician's pins;
    then what is protected (the only drill for a daily-life goal; in phases 2-3 the only
    stability or strength exercise that serves a finding; the only one that loads what a
    precaution needs loaded); the settling drill (it calms the rest); the only drill for a
    finding; then how much it serves."""
    settle = planned.exercise.meta.block == SETTLE_BLOCK
    rest = [p for p in others if p.id != planned.id]
    sport = _sports(choosing.library)
    waits = sport if choosing.patient.phase < 3 else set()
    only_goal = any(
        t not in waits and not any(t in p.rehearses for p in rest) for t in planned.rehearses
    )
    only_finding = any(not any(f in p.addresses for p in rest) for f in planned.addresses)
    block = planned.exercise.meta.block
    capacity = block in CAPACITY_BLOCKS and 2 <= choosing.patient.phase <= 3
    only_capacity = (
        capacity
        and bool(planned.addresses)
        and not any(p.exercise.meta.block == block and p.addresses for p in rest)
    )
    serves = len(planned.addresses) + len(planned.rehearses)
    favoured = _favoured(planned.exercise, choosing.patient, choosing.library)
    only_load = any(
        not any(region in p.exercise.meta.loads for p in rest)
        for region in set(planned.exercise.meta.loads) & choosing.loads_needed
    )
    # 2: never cut (a goal's only practice, the only loading a precaution needs); 1: cut only
    # when nothing else keeps the main session within its minutes (the only capacity work)
    protected = 2 if only_goal or only_load else 1 if only_capacity else 0
    return (int(planned.held), protected, int(settle), int(only_finding), serves + favoured)


# Where each position sits between the bed and standing: a ritual moves one way through them.
_LEVEL = {"lying_in_bed": 0, "sitting": 2, "standing": 3}
_FLOOR_LEVEL = 1


def _level(exercise: Exercise, library: Library) -> int:
    position = exercise.meta.position
    if position in _LEVEL:
        return _LEVEL[position]
    return _FLOOR_LEVEL if library.vocabulary.positions[position].floor else 2


def _turns(exercise: Exercise) -> bool:
    """A drill that turns the spine or the hip."""
    return "rotation" in exercise.meta.spine or exercise.meta.turns


def _foreign_task(exercise: Exercise, patient: Patient) -> bool:
    """The practice of daily tasks the patient has no goal for (a step-up, strength work that
    also rehearses stairs, is not: it is no task's practice)."""
    tasks = set(exercise.meta.tasks)
    return exercise.meta.block == TASK_BLOCK and bool(tasks) and not tasks & set(patient.tasks)


def _unaddressed(
    wanted: Mapping[str, object],
    cover: Mapping[str, int],
    kind: str,
    library: Library,
    patient: Patient,
) -> tuple[tuple[str, str], ...]:
    """What the plan could not serve, and why: nothing in the library, or nothing allowed."""
    missing = []
    for name in wanted:
        if cover.get(name, 0) > 0:
            continue
        if kind == "task" and library.vocabulary.tasks[name].sport and patient.phase >= 4:
            continue  # the patient's own activity now (Plan.activities), not a drill
        serving = [
            e
            for e in library.exercises.values()
            if name in (e.meta.targets if kind == "finding" else e.meta.tasks)
        ]
        if not serving:
            why = "the library has no exercise for it"
        elif kind == "task" and library.vocabulary.tasks[name].sport and patient.phase < 3:
            why = "a sport: its drills start in phase 3"
        else:
            excluded = set(patient.assessment.overrides.exclude)
            reasons = sorted(
                {
                    why_not(e, patient, library)
                    or (
                        f"{e.id} is excluded by the clinician"
                        if e.id in excluded
                        else "not chosen, to keep the day short"
                    )
                    for e in serving
                }
            )
            why = "no exercise for it suits this patient now: " + "; ".join(reasons)
        missing.append((name, why))
    return tuple(missing)
