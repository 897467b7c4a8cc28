"""Phase readiness: does the newest assessment meet the current phase's exit criteria?

A suggestion for the clinician, never a decision: the phase changes only when the
clinician sets `phase:` in an assessment. Pure and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from movebook.model import Assessment, Criterion, Library, Profile

Status = Literal["met", "not_met", "not_measured", "judge"]
Verdict = Literal["ready", "not_yet", "cannot_tell", "last_phase"]

# The decimals a PSFS mean is kept to: what the clinician sees is what was compared.
PSFS_MEAN_DECIMALS = 2


@dataclass(frozen=True)
class Check:
    """One exit criterion against one assessment."""

    status: Status
    value: float | None  # the assessment's value of the measure; None when not measured


@dataclass(frozen=True)
class CriterionCheck:
    """One exit criterion of the current phase, now and at the previous assessment."""

    criterion: Criterion
    now: Check
    previous: Check | None  # None when there is no earlier assessment

    @property
    def status(self) -> Status:
        return self.now.status

    @property
    def value(self) -> float | None:
        return self.now.value

    @property
    def changed(self) -> bool:
        """Did the status change since the previous assessment?"""
        return self.previous is not None and self.previous.status != self.now.status


@dataclass(frozen=True)
class Readiness:
    """Whether the patient looks ready to leave `phase` for `next_phase`, and why."""

    phase: int
    next_phase: int | None  # None: the last phase (maintenance), nothing to move on to
    verdict: Verdict
    checks: tuple[CriterionCheck, ...]
    assessment_date: str
    previous_date: str | None = None  # the assessment the changes are counted from

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status == status)

    @property
    def measurable(self) -> int:
        """Criteria with a measure, whether or not the assessment has a value for it."""
        return sum(1 for check in self.checks if check.status != "judge")


def psfs_mean(assessment: Assessment) -> float | None:
    """The mean of the PSFS activity scores, to two decimals; None with no activities."""
    scores = list(assessment.measures.psfs.values())
    if not scores:
        return None
    return round(sum(scores) / len(scores), PSFS_MEAN_DECIMALS)


def measure_value(assessment: Assessment, measure: str) -> float | None:
    """An assessment's value for a criterion's measure; None when it was not measured."""
    measures, tolerances = assessment.measures, assessment.tolerances
    values: dict[str, float | None] = {
        "nprs": measures.nprs,
        "odi": measures.odi,
        "psfs_mean": psfs_mean(assessment),
        "sitting_min": tolerances.sitting_min,
        "standing_min": tolerances.standing_min,
        "walking_min": tolerances.walking_min,
        "morning_stiffness_min": tolerances.morning_stiffness_min,
        "sleep_disturbed_nights": tolerances.sleep_disturbed_nights,
    }
    return values[measure]


def check(criterion: Criterion, assessment: Assessment) -> Check:
    """Met, not met, not measured yet, or for the clinician and patient to judge together.

    Thresholds are inclusive: at_least 45 is met by 45, at_most 3 is met by 3.
    """
    if criterion.measure is None:
        return Check("judge", None)
    value = measure_value(assessment, criterion.measure)
    if value is None:
        return Check("not_measured", None)
    met = (criterion.at_least is None or value >= criterion.at_least) and (
        criterion.at_most is None or value <= criterion.at_most
    )
    return Check("met" if met else "not_met", value)


def _verdict(checks: tuple[CriterionCheck, ...], next_phase: int | None) -> Verdict:
    statuses = {c.status for c in checks}
    if next_phase is None:
        return "last_phase"
    if "not_met" in statuses:
        return "not_yet"
    if "not_measured" in statuses or "met" not in statuses:
        return "cannot_tell"
    return "ready"


def phase_readiness(profile: Profile, library: Library) -> Readiness:
    """The current phase's exit criteria against the newest assessment.

    Ready only when every criterion with a measure is met and there is at least one;
    not yet when any is not met; cannot tell when some have no value (or none has a measure).
    """
    assessment = profile.latest
    previous = profile.assessments[-2] if len(profile.assessments) > 1 else None
    phase = next((p for p in library.phases if p.number == assessment.phase), None)
    later = [p.number for p in library.phases if p.number > assessment.phase]
    next_phase = min(later) if later else None
    checks = tuple(
        CriterionCheck(
            criterion=criterion,
            now=check(criterion, assessment),
            previous=check(criterion, previous) if previous is not None else None,
        )
        for criterion in (phase.exit_criteria if phase else ())
    )
    return Readiness(
        phase=assessment.phase,
        next_phase=next_phase,
        verdict=_verdict(checks, next_phase),
        checks=checks,
        assessment_date=assessment.date.isoformat(),
        previous_date=previous.date.isoformat() if previous is not None else None,
    )
