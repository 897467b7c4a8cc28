"""Doses: the library's dose for a phase, a patient's planned dose (sides, hands, seconds), and
the micro-dose a ritual gives."""

from __future__ import annotations

import math
from dataclasses import replace

from babel.numbers import format_decimal

from movebook.model import KG, Dose, Exercise, Library, Profile
from movebook.plan.model import (
    SECONDS_PER_BREATH,
    SECONDS_PER_REP,
    SETTLE_BLOCK,
    Patient,
    PlannedDose,
    PlannedExercise,
)


def dose_phase(exercise: Exercise, phase: int) -> int:
    """The phase whose library dose a phase uses: its own, or the nearest earlier phase's."""
    defined = sorted(p for p in exercise.meta.dose if p <= phase) or sorted(exercise.meta.dose)
    return defined[-1]


def phase_dose(exercise: Exercise, phase: int) -> Dose:
    """The library dose for a phase: its own, or the nearest earlier phase's."""
    return exercise.meta.dose[dose_phase(exercise, phase)]


def weekly_dose(exercise: Exercise, phase: int) -> int:
    """How many times a week the library would have the exercise done in a phase."""
    base = phase_dose(exercise, phase)
    return base.per_week if base.per_week is not None else 7 * (base.per_day or 1)


def _rep_seconds(exercise: Exercise, tempo: str | None) -> int:
    counted = sum(map(int, tempo.split("-"))) if tempo else SECONDS_PER_REP
    if exercise.meta.block == SETTLE_BLOCK:  # its reps are breaths, and a breath is slow
        return max(SECONDS_PER_BREATH, counted)
    return counted


def plan_dose(exercise: Exercise, patient: Patient) -> PlannedDose:
    base = phase_dose(exercise, patient.phase)
    side = _side(exercise, patient)
    marked = exercise.meta.marked_side_only and side is not None
    dose = PlannedDose(
        sets=base.sets,
        reps=base.reps,
        hold_s=base.hold_s,
        tempo=base.tempo,
        minutes=base.minutes,
        rest_s=base.rest_s,
        per_day=base.per_day,
        per_week=base.per_week,
        per_side=exercise.meta.unilateral and not marked,
        rep_s=base.rep_s or _rep_seconds(exercise, base.tempo),
        only_side=side if marked else None,
        extra_side=side if exercise.meta.unilateral and not marked else None,
        extra_hand=_hand(exercise, side) if exercise.meta.unilateral and not marked else None,
        carry=exercise.meta.carry,
        load=_load(exercise, base, patient),
        load_phase=dose_phase(exercise, patient.phase) if base.load else None,
    )
    findings = patient.findings
    notes: list[str] = []
    held = 0 if dose.carry else dose.hold_s or 0  # a carry walks: it is no hold
    if "static_hold_intolerance" in findings and held > 3:
        shorter = max(3, held // 2)
        dose = replace(dose, hold_s=shorter, reps=math.ceil((dose.reps or 1) * 1.5))
        notes.append("shorter_holds")
    gentle = "fear_of_movement" in findings or patient.phase == 1
    if gentle and (dose.sets > 1 or (dose.reps or 0) > 3):
        start_reps = max(2, math.ceil((dose.reps or 0) * 2 / 3)) if dose.reps else None
        dose = replace(dose, gentle_start=True, start_reps=start_reps)
    change = patient.assessment.overrides.dose.get(exercise.id)
    if change is not None:
        given = {k: v for k, v in change.model_dump().items() if v is not None}
        if given.get("per_day") is not None:
            given["per_week"] = None
        if given.get("per_week") is not None and "per_day" not in given:
            given["per_day"] = None
        # the clinician's amount, as written
        dose = replace(dose, **given, extra_side=None, extra_hand=None)
        if "load" in given:
            dose = replace(dose, load_phase=None)
        if "tempo" in given:
            dose = replace(dose, rep_s=_rep_seconds(exercise, dose.tempo))
        notes.append("clinician")
    return replace(dose, adjustments=tuple(notes))


def _load(exercise: Exercise, base: Dose, patient: Patient) -> str | None:
    """What to lift: the phase's, or the supported form's where the patient holds on in it
    (as Exercise.shown prints it on the card)."""
    held = exercise.meta.supported
    if base.load and held is not None and held.load and exercise.meta.position in patient.supports:
        return held.load
    return base.load


def _hand(exercise: Exercise, side: str | None) -> str | None:
    """The hand that carries the extra set's load: for a weak side, a load held in the other
    hand makes that side work harder."""
    hand = exercise.meta.load_hand
    if side not in ("left", "right") or hand is None:
        return None
    if hand == "same":
        return side
    return "right" if side == "left" else "left"


ROUND_SECONDS = 60  # a rep this long is a round of moves: a micro-session does one


def _micro(dose: PlannedDose) -> PlannedDose:
    """The same exercise in a micro-session: one set; of a drill done in rounds, one round."""
    if dose.rep_s >= ROUND_SECONDS and dose.reps:
        return replace(dose, sets=1, reps=1)
    return replace(dose, sets=1)


def _side(exercise: Exercise, patient: Patient) -> str | None:
    """The side a one-sided finding puts first; for a drill that corrects a direction, the
    side the clinician marked (the finding's, else the one in the directional preference).
    A direction's side (a shift to the right) is never a side to work more on."""
    if not exercise.meta.unilateral:
        return None
    marked = exercise.meta.marked_side_only
    sides = {
        patient.findings[t]
        for t in exercise.meta.targets
        if patient.findings.get(t) and (marked or t not in patient.directional)
    }
    sides.discard(None)
    if len(sides) == 1:
        side = sides.pop()
        if side != "both":
            return side
    if exercise.meta.marked_side_only:
        preference = patient.assessment.signature.directional_preference
        for side in ("left", "right"):
            if preference.endswith(f"_{side}"):
                return side
    return None


def _sided_if_marked(exercise: Exercise, patient: Patient) -> bool:
    """A drill done on the marked side only needs a marked side: without one it is not given."""
    return not exercise.meta.marked_side_only or _side(exercise, patient) is not None


def _planned(exercise: Exercise, patient: Patient, pinned: bool = False) -> PlannedExercise:
    findings = patient.findings
    tasks = patient.tasks
    timing = patient.asked.get(exercise.id)
    trigger = (timing.event if timing else None) or exercise.meta.occasion
    return PlannedExercise(
        exercise=exercise,
        dose=plan_dose(exercise, patient),
        addresses=tuple(t for t in exercise.meta.targets if t in findings),
        rehearses=tuple(t for t in exercise.meta.tasks if t in tasks),
        side=_side(exercise, patient),
        note=patient.assessment.overrides.notes.get(exercise.id),
        pinned=pinned or exercise.id in patient.assessment.overrides.include,
        asked=exercise.id in patient.asked,
        when=trigger,
        every_min=timing.every_min if timing else None,
        cautions=tuple(
            caution for caution in patient.cautioned.values() if caution.card_line(exercise.meta)
        ),
        supported=exercise.meta.position in patient.supports,
    )


def with_load_limit(library: Library, profile: Profile) -> Library:
    """The library as this patient reads it: a precaution that needs the clinician's load
    limit says the profile's, in the words' language (5 kg, 2,5 kg), on its Take care line
    and on every card it is printed on. Applied to the library, not to a plan, so that a
    translation of the library says it too."""
    limit = profile.load_limit_kg
    precautions = library.vocabulary.precautions
    limited = {}
    for name, precaution in precautions.items():
        line = precaution.patient_with_limit
        if limit is not None and precaution.needs_limit and line:
            kg = format_decimal(limit, locale=library.language)
            limited[name] = precaution.model_copy(update={"patient": line.replace(KG, kg)})
    if not limited:
        return library
    vocabulary = replace(library.vocabulary, precautions={**precautions, **limited})
    return replace(library, vocabulary=vocabulary)
