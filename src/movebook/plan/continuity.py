"""Continuity: the plan carried on from the last assessment, and the later phases' previews."""

from __future__ import annotations

from collections.abc import Sequence

from movebook.model import Assessment, Exercise, Library
from movebook.plan.dose import _sided_if_marked
from movebook.plan.model import SETTLE_BLOCK, TASK_BLOCK, Patient, PhaseStep, Plan
from movebook.plan.selection import _Choosing, _foreign_task, _relevant, _sports, why_not


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
    if phase >= 3:
        ahead = _as_the_task(ahead, phase, choosing, set(patient.tasks) - sport)
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


def _as_the_task(
    ahead: dict[str, Exercise], phase: int, choosing: _Choosing, goals: set[str]
) -> dict[str, Exercise]:
    """From phase 3 a daily goal is practised as the task itself: its strength drill of the
    same pattern gives way to the task's practice (a step-up to stair practice with a bag),
    where that serves every finding the strength drill does."""
    findings = set(choosing.patient.findings)
    for task in sorted(goals):
        if any(e.meta.block == TASK_BLOCK and task in e.meta.tasks for e in ahead.values()):
            continue
        for name, exercise in list(ahead.items()):
            if task not in exercise.meta.tasks:
                continue
            served = set(exercise.meta.targets) & findings
            practice = [
                e
                for e in choosing.library.exercises.values()
                if e.meta.block == TASK_BLOCK
                and task in e.meta.tasks
                and choosing.pattern(e) == choosing.pattern(exercise)
                and served <= set(e.meta.targets)
                and _may_preview(e, phase, choosing)
            ]
            if practice:  # in its place, so the preview keeps its order
                task_drill = practice[0]
                ahead = {
                    (task_drill.id if key == name else key): (task_drill if key == name else e)
                    for key, e in ahead.items()
                }
                break
    return ahead


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
