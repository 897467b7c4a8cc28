"""What changed between two assessments: measures against their minimal clinically important
difference, tolerances, the phase, and the exercises (progressed, stepped back, added, retired,
each with its reason, as the plan stage decided them in movebook.course).

Pure: two assessments and the later one's visit in, a Changes out. The words are the
templates' business."""

from __future__ import annotations

from dataclasses import dataclass

from movebook.course import ExerciseChange, Visit
from movebook.model import Assessment, Criterion, Mcid, PhaseDef, Tolerances
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


def compare(before: Assessment, after: Assessment, visit: Visit, mcid: Mcid) -> Changes:
    """The changes from the assessment before to this visit's: measures and tolerances from
    the two assessments, the exercises' changes (with their reasons) from the plan stage."""
    return Changes(
        since=str(before.date),
        measures=tuple(compare_measures(before, after, mcid)),
        tolerances=tuple(compare_tolerances(before, after)),
        phase_before=before.phase,
        phase_after=after.phase,
        exercises=visit.changes,
    )


def criteria_met(phase: PhaseDef, assessment: Assessment) -> list[Criterion]:
    """The phase's checkable exit criteria this assessment meets: why a patient moved on."""
    return [c for c in phase.exit_criteria if check(c, assessment).status == "met"]
