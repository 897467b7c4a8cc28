"""What changed between two assessments: measures against their minimal clinically important
difference, tolerances, the phase, and the exercises (progressed, stepped back, added, retired).

Pure: two assessments and the plans built from them in, a Changes out. The words are the
templates' business."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from movebook.model import Assessment, Criterion, Library, Mcid, PhaseDef, Tolerances
from movebook.plan import Plan
from movebook.readiness import check, psfs_mean

TOLERANCES = tuple(Tolerances.model_fields)  # sitting_min, standing_min, ... in profile order
LOWER_IS_BETTER = {"nprs", "odi", "morning_stiffness_min", "sleep_disturbed_nights"}


@dataclass(frozen=True)
class MeasureChange:
    """One measure then and now. `meaningful` when the change reaches the measure's minimal
    clinically important difference (MCID), whichever way it went."""

    measure: str  # nprs | odi | psfs_mean | psfs (one activity, named in `activity`)
    before: float | None
    after: float | None
    mcid: float
    activity: str | None = None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)

    @property
    def meaningful(self) -> bool:
        return self.change is not None and abs(self.change) >= self.mcid

    @property
    def better(self) -> bool | None:
        """Whether the change is an improvement; None when nothing changed or it is unknown."""
        if not self.change:
            return None
        return (self.change < 0) == (self.measure in LOWER_IS_BETTER)


@dataclass(frozen=True)
class ToleranceChange:
    name: str  # a Tolerances field
    before: int | None
    after: int | None

    @property
    def better(self) -> bool | None:
        if self.before is None or self.after is None or self.before == self.after:
            return None
        return (self.after < self.before) == (self.name in LOWER_IS_BETTER)


@dataclass(frozen=True)
class ExerciseChange:
    kind: str  # progressed | stepped_back | added | retired
    before: str | None  # exercise ids
    after: str | None


@dataclass(frozen=True)
class Changes:
    since: str  # the earlier assessment's date
    measures: tuple[MeasureChange, ...]
    tolerances: tuple[ToleranceChange, ...]
    phase_before: int
    phase_after: int
    exercises: tuple[ExerciseChange, ...]

    @property
    def meaningful(self) -> tuple[MeasureChange, ...]:
        return tuple(change for change in self.measures if change.meaningful)

    @property
    def measures_pending(self) -> bool:
        """Measured last time, nothing measured yet this time: the clinician has not filled
        in the new scores (as `movebook reassess` leaves them)."""
        return bool(self.measures) and all(change.after is None for change in self.measures)


def compare_measures(before: Assessment, after: Assessment, mcid: Mcid) -> list[MeasureChange]:
    """NPRS, Oswestry and the PSFS average, then each PSFS activity rated at either visit."""
    old, new = before.measures, after.measures
    changes = [
        MeasureChange("nprs", old.nprs, new.nprs, mcid.nprs),
        MeasureChange("odi", old.odi, new.odi, mcid.odi),
        MeasureChange("psfs_mean", psfs_mean(before), psfs_mean(after), mcid.psfs_average),
    ]
    activities = [*old.psfs, *(name for name in new.psfs if name not in old.psfs)]
    changes += [
        MeasureChange(
            "psfs", old.psfs.get(name), new.psfs.get(name), mcid.psfs_activity, activity=name
        )
        for name in activities
    ]
    return [c for c in changes if c.before is not None or c.after is not None]


def compare_tolerances(before: Assessment, after: Assessment) -> list[ToleranceChange]:
    pairs = [
        ToleranceChange(name, getattr(before.tolerances, name), getattr(after.tolerances, name))
        for name in TOLERANCES
    ]
    return [pair for pair in pairs if pair.before is not None or pair.after is not None]


def _chain(start: str, library: Library, link: str) -> list[str]:
    """The exercises reached from `start` by following one kind of link, nearest first."""
    seen: list[str] = []
    current = library.exercises.get(start)
    while current is not None:
        following = getattr(current.meta, link)
        if following is None or following in seen or following == start:
            break
        seen.append(following)
        current = library.exercises.get(following)
    return seen


def compare_exercises(before: Plan, after: Plan, library: Library) -> list[ExerciseChange]:
    """Exercises that left the plan are matched, through the library's progression links, to
    the ones that took their place: progressed to a harder version, or stepped back to an
    easier one. The rest were added or retired."""
    old = [p.id for p in before.exercises()]
    new = [p.id for p in after.exercises()]
    gone = [e for e in old if e not in new]
    came = [e for e in new if e not in old]
    changes: list[ExerciseChange] = []
    for exercise in list(gone):
        for kind, link in (("progressed", "progresses_to"), ("stepped_back", "regresses_to")):
            match = next((e for e in _chain(exercise, library, link) if e in came), None)
            if match:
                changes.append(ExerciseChange(kind, exercise, match))
                gone.remove(exercise)
                came.remove(match)
                break
    changes += [ExerciseChange("added", None, e) for e in came]
    changes += [ExerciseChange("retired", e, None) for e in gone]
    return changes


def compare(
    before: Assessment,
    after: Assessment,
    plans: Mapping[str, Plan],
    library: Library,
    mcid: Mcid,
) -> Changes:
    """`plans` maps "before" and "after" to the plans built from the two assessments."""
    return Changes(
        since=str(before.date),
        measures=tuple(compare_measures(before, after, mcid)),
        tolerances=tuple(compare_tolerances(before, after)),
        phase_before=before.phase,
        phase_after=after.phase,
        exercises=tuple(compare_exercises(plans["before"], plans["after"], library)),
    )


def criteria_met(phase: PhaseDef, assessment: Assessment) -> list[Criterion]:
    """The phase's checkable exit criteria this assessment meets: why a patient moved on."""
    return [c for c in phase.exit_criteria if check(c, assessment).status == "met"]
