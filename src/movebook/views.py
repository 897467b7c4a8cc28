"""Views of a plan for the clinician: JSON for machines, plain text for the terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from movebook.audit import CaseloadSummary, ProfileAudit, plan_metrics, summarize
from movebook.course import ExerciseChange
from movebook.model import Library
from movebook.plan import ROUND_SECONDS, Plan, PlannedDose, PlannedExercise
from movebook.readiness import Check, CriterionCheck, Readiness
from movebook.wording import Words

ENGLISH = Words("en")


def dose_text(dose: PlannedDose, side: str | None = None) -> str:
    """`2 x 6 reps (3-1-3), hold 5 s, each side, once a day`; a one-sided finding's side
    first (`each side, right first`)."""
    parts = []
    carries = dose.sets * (dose.reps or 1)
    if dose.carry and dose.hold_s and dose.per_side:
        parts.append(
            f"{carries} carr{'ies' if carries > 1 else 'y'} of {dose.hold_s} s in each hand"
        )
    elif dose.carry and dose.hold_s:
        hands = {1: "", 2: ", one in each hand"}.get(carries, ", changing hands each time")
        parts.append(f"{carries} carr{'ies' if carries > 1 else 'y'} of {dose.hold_s} s{hands}")
    elif dose.minutes:
        parts.append(
            f"{dose.sets} x {dose.minutes} min" if dose.sets > 1 else f"{dose.minutes} min"
        )
    elif dose.reps and dose.rep_s >= ROUND_SECONDS:
        rounds = dose.sets * dose.reps
        parts.append(f"{rounds} round{'s' if rounds > 1 else ''}")
    elif dose.reps:
        parts.append(f"{dose.sets} x {dose.reps}")
    if dose.hold_s and not dose.carry:
        parts.append(f"hold {dose.hold_s} s")
    if dose.tempo:
        parts.append(f"tempo {dose.tempo}")
    if dose.only_side:
        parts.append(f"{dose.only_side} side only")
    elif dose.carry and dose.per_side and dose.extra_hand:
        parts.append(f"one more with the load in the {dose.extra_hand} hand")
    elif dose.carry:
        pass  # its hands are said with its carries
    elif dose.per_side and dose.extra_hand:
        parts.append(f"each side, one set more with the load in the {dose.extra_hand} hand")
    elif dose.per_side and dose.extra_side:
        parts.append(f"each side, one set more on the {dose.extra_side}")
    elif dose.per_side and side in ("left", "right"):
        parts.append(f"each side, {side} first")
    elif dose.per_side:
        parts.append("each side")
    if dose.per_day:
        parts.append(
            {1: "once a day", 2: "twice a day"}.get(dose.per_day, f"{dose.per_day}x a day")
        )
    elif dose.per_week:
        parts.append(f"{dose.per_week}x a week")
    return ", ".join(parts)


def _dose_json(dose: PlannedDose) -> dict[str, Any]:
    return {
        "sets": dose.sets,
        "reps": dose.reps,
        "hold_s": dose.hold_s,
        "tempo": dose.tempo,
        "minutes": dose.minutes,
        "rest_s": dose.rest_s,
        "per_day": dose.per_day,
        "per_week": dose.per_week,
        "per_side": dose.per_side,
        "only_side": dose.only_side,
        "extra_side": dose.extra_side,
        "extra_hand": dose.extra_hand,
        "load": dose.load,
        "start": ENGLISH.start(dose),
        "adjustments": list(dose.adjustments),
        "seconds": dose.seconds,
    }


def _exercise_json(planned: PlannedExercise) -> dict[str, Any]:
    meta = planned.exercise.meta
    return {
        "id": planned.id,
        "title": meta.title,
        "block": meta.block,
        "phases": list(meta.phases),
        "targets": list(meta.targets),
        "tasks": list(meta.tasks),
        "contraindications": list(meta.contraindications),
        "equipment": list(meta.equipment),
        "dose": _dose_json(planned.dose),
        "breathing": meta.breathing,
        "progresses_to": meta.progresses_to,
        "regresses_to": meta.regresses_to,
        "micro_steps": [{"dimension": s.dimension, "step": s.step} for s in meta.micro_steps],
        "addresses": list(planned.addresses),
        "rehearses": list(planned.rehearses),
        "side": planned.side,
        "note": planned.note,
        "pinned": planned.pinned,
        "asked": planned.asked,
        "when": planned.when,
        "every_min": planned.every_min,
        "take_care": [caution.label for caution in planned.cautions],
    }


def plan_json(
    plan: Plan, readiness: Readiness | None = None, changes: Sequence[ExerciseChange] = ()
) -> dict[str, Any]:
    """The plan as JSON data; `readiness` is left out (null) for a red-flag patient."""
    return {
        "profile": plan.profile,
        "assessment_date": plan.assessment_date,
        "phase": plan.phase,
        "red_flags": [
            {"id": name, "label": flag.label, "action": flag.action}
            for name, flag in plan.red_flags
        ],
        "sessions": [
            {
                "id": session.id,
                "name": ENGLISH.session_name(session),
                "when": ENGLISH.session_when(session),
                "minutes": session.minutes,
                "per_day": session.per_day,
                "per_week": session.per_week,
                "exercises": [_exercise_json(p) for p in session.exercises],
            }
            for session in plan.sessions
        ],
        "weekly_rhythm": [
            {"day": day, "sessions": list(ids)}
            for day, ids in zip(ENGLISH.day_names(), plan.weekly_rhythm, strict=False)
        ],
        "phases": [
            {
                "number": step.number,
                "name": step.name,
                "aim": step.aim,
                "status": step.status,
                "exit_criteria": [c.model_dump(exclude_none=True) for c in step.exit_criteria],
                "exercises": list(step.exercises),
            }
            for step in plan.phases
        ],
        "precautions": [
            {"id": name, "label": p.label, "patient": p.patient} for name, p in plan.precautions
        ],
        "minutes_a_day": [] if plan.blocked else [day.minutes for day in plan_metrics(plan).days],
        "activities": list(plan.activities),
        "dropped": [{"id": n, "why": why} for n, why in plan.dropped],
        "unaddressed_findings": [{"id": n, "why": why} for n, why in plan.unaddressed_findings],
        "unaddressed_goals": [{"task": n, "why": why} for n, why in plan.unaddressed_goals],
        "stop_rule": ENGLISH.stop_rule(),
        "readiness": None if plan.blocked or readiness is None else readiness_json(readiness),
        "changes": [
            {
                "kind": c.kind,
                "before": c.before,
                "after": c.after,
                "reason": c.reason,
                "serves": c.serves,
            }
            for c in changes
        ],
    }


def plan_json_text(
    plan: Plan, readiness: Readiness | None = None, changes: Sequence[ExerciseChange] = ()
) -> str:
    data = plan_json(plan, readiness, changes)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan_text(
    plan: Plan,
    library: Library,
    readiness: Readiness | None = None,
    changes: Sequence[ExerciseChange] = (),
) -> str:
    """A readable plan for the clinician in the terminal."""
    lines = [f"{plan.profile}: assessment {plan.assessment_date}, phase {plan.phase}"]
    if plan.blocked:
        lines.append("RED FLAGS: no exercise plan. Contact the patient now.")
        lines += [f"  - {flag.label}: {flag.action}" for _, flag in plan.red_flags]
        return "\n".join(lines) + "\n"
    blocks = {block.id: block.name for block in library.blocks}
    for _, precaution in plan.precautions:
        lines.append(f"Precaution: {precaution.label}. {precaution.patient or ''}".rstrip())
    load = plan_metrics(plan)
    lines.append(
        f"{load.max_distinct_per_day} exercises a day at most; {load.min_minutes_per_day}-"
        f"{load.max_minutes_per_day} min a day, {load.minutes_per_week} min a week"
    )
    if plan.activities:
        lines.append(f"Own activity: {', '.join(plan.activities)}")
    for session in plan.sessions:
        how_often = (
            f"every {session.every_min} min"
            if session.every_min
            else f"{session.per_week}x a week"
            if session.per_week
            else f"{session.per_day}x a day"
            if session.per_day
            else "each as often as it says"
        )
        lines.append("")
        minutes = f"~{session.minutes} min, " if session.minutes else ""
        lines.append(
            f"{ENGLISH.session_name(session)} ({minutes}{how_often}; "
            f"{ENGLISH.session_when(session).lower()})"
        )
        for planned in session.exercises:
            meta = planned.exercise.meta
            amount = dose_text(planned.dose, planned.side)
            if planned.when or planned.every_min:  # the note's timing replaces the count
                often = ENGLISH.dose_often(planned.dose, planned, mid_line=True)
                amount = amount.rsplit(", ", 1)[0] + ", " + often
            pin = " [pinned]" if planned.pinned else " [asked in the note]" if planned.asked else ""
            lines.append(f"  {blocks[meta.block]:<12} {meta.title}{pin}: {amount}")
            why = list(planned.addresses) + list(planned.rehearses)
            if why:
                lines.append(f"  {'':<12}   for {', '.join(why)}")
            if planned.dose.load:
                lines.append(f"  {'':<12}   load: {planned.dose.load}")
            for caution in planned.cautions:
                lines.append(f"  {'':<12}   take care: {caution.label}")
            for note in planned.dose.adjustments:
                lines.append(f"  {'':<12}   dose: {ENGLISH.adjustment(note)}")
    lines.append("")
    lines.append("Phases")
    for step in plan.phases:
        marker = {"current": ">", "done": "v"}.get(step.status, " ")
        lines.append(f" {marker} {step.number}. {step.name}: {step.aim}")
        if step.status in ("next", "later") and step.exercises:
            titles = [library.exercises[i].meta.title for i in step.exercises]
            lines.append(f"      continues with: {', '.join(titles)}")
    if readiness is not None:
        lines.append("")
        lines += readiness_lines(readiness)
    if changes:
        lines.append("")
        lines.append("Changed since the last assessment")
        for change in changes:
            moved = " -> ".join(name for name in (change.before, change.after) if name)
            reason = ENGLISH.change_reason(change, {})
            serves = f" ({change.serves})" if change.serves else ""
            lines.append(f"  - {change.kind.replace('_', ' ')} {moved}: {reason}{serves}")
    for label, missing in (
        ("Findings not addressed", plan.unaddressed_findings),
        ("Goals not rehearsed", plan.unaddressed_goals),
        ("Left out", plan.dropped),
    ):
        if missing:
            lines.append("")
            lines.append(label)
            lines += [f"  - {name}: {why}" for name, why in missing]
    return "\n".join(lines) + "\n"


# --- phase readiness -----------------------------------------------------------

# How the clinician's view names each measure, and the unit its values are in.
MEASURE_NAMES = {
    "nprs": ("Pain (NPRS)", "/10"),
    "odi": ("Oswestry (ODI)", "%"),
    "psfs_mean": ("PSFS mean", "/10"),
    "sitting_min": ("Sitting", " min"),
    "standing_min": ("Standing", " min"),
    "walking_min": ("Walking", " min"),
    "morning_stiffness_min": ("Morning stiffness", " min"),
    "sleep_disturbed_nights": ("Sleep disturbed", " nights a week"),
}
STATUS_NAMES = {
    "met": "met",
    "not_met": "not met",
    "not_measured": "not measured yet",
    "judge": "judge together",
}


def _number(value: float) -> str:
    return f"{value:g}"


def _value_text(measure: str, value: float) -> str:
    return f"{_number(value)}{MEASURE_NAMES[measure][1]}"


def criterion_label(item: CriterionCheck) -> str:
    """`Sitting 45 min or more`; the patient's words for a criterion with no measure."""
    criterion = item.criterion
    if criterion.measure is None:
        return criterion.text
    name, unit = MEASURE_NAMES[criterion.measure]
    fewer = "fewer" if criterion.measure == "sleep_disturbed_nights" else "less"
    if criterion.at_least is not None:
        return f"{name} {_number(criterion.at_least)}{unit} or more"
    assert criterion.at_most is not None  # a measure always has exactly one threshold
    return f"{name} {_number(criterion.at_most)}{unit} or {fewer}"


def readiness_summary(readiness: Readiness) -> str:
    """One sentence: the verdict and its reason."""
    measurable = readiness.measurable
    met, unmet = readiness.count("met"), readiness.count("not_met")
    missing = readiness.count("not_measured")
    criteria = "criterion" if measurable == 1 else "criteria"
    if readiness.verdict == "last_phase":
        return (
            f"Phase {readiness.phase} is the last phase (maintenance): "
            "there is no next phase to move on to."
        )
    if readiness.verdict == "ready":
        if measurable == 1:
            return "Looks ready: the one measurable criterion is met."
        return f"Looks ready: all {measurable} measurable criteria are met."
    if readiness.verdict == "not_yet":
        text = f"Not yet: {unmet} of {measurable} measurable {criteria} not met"
        return text + (f", {missing} not measured yet." if missing else ".")
    if measurable == 0:
        return f"Cannot tell: no exit criterion of phase {readiness.phase} has a measure."
    return (
        f"Cannot tell yet: {met} of {measurable} measurable {criteria} met, "
        f"{missing} not measured yet."
    )


def _change_text(item: CriterionCheck, since: str | None) -> str:
    """`  (was not met on 2026-09-30: 35 min)` when the status changed since then."""
    if not item.changed or item.previous is None:
        return ""
    was = item.previous
    value = (
        f": {_value_text(item.criterion.measure, was.value)}"
        if was.value is not None and item.criterion.measure
        else ""
    )
    return f"  (was {STATUS_NAMES[was.status]} on {since}{value})"


def readiness_lines(readiness: Readiness) -> list[str]:
    """The readiness section of the clinician's plan: verdict, each criterion, who decides."""
    if readiness.next_phase is None:
        lines = [readiness_summary(readiness)]
    else:
        lines = [f"Ready for phase {readiness.next_phase}? {readiness_summary(readiness)}"]
    width = max(len(name) for name in STATUS_NAMES.values())
    for item in readiness.checks:
        text = criterion_label(item)
        if item.value is not None and item.criterion.measure:
            text += f": {_value_text(item.criterion.measure, item.value)}"
        text += _change_text(item, readiness.previous_date)
        lines.append(f"  {STATUS_NAMES[item.status]:<{width}}  {text}")
    if readiness.next_phase is None:
        lines.append("Keep checking these at each review.")
    else:
        lines.append(
            f"The clinician decides: set `phase: {readiness.next_phase}` "
            "in the newest assessment to move on."
        )
    return lines


def _check_json(check: Check) -> dict[str, Any]:
    return {"status": check.status, "value": check.value}


def readiness_json(readiness: Readiness) -> dict[str, Any]:
    return {
        "phase": readiness.phase,
        "next_phase": readiness.next_phase,
        "verdict": readiness.verdict,
        "summary": readiness_summary(readiness),
        "assessment_date": readiness.assessment_date,
        "previous_assessment_date": readiness.previous_date,
        "counts": {
            "measurable": readiness.measurable,
            "met": readiness.count("met"),
            "not_met": readiness.count("not_met"),
            "not_measured": readiness.count("not_measured"),
            "judge": readiness.count("judge"),
        },
        "criteria": [
            {
                "text": item.criterion.text,
                "measure": item.criterion.measure,
                "at_least": item.criterion.at_least,
                "at_most": item.criterion.at_most,
                "status": item.status,
                "value": item.value,
                "previous": None if item.previous is None else _check_json(item.previous),
                "changed": item.changed,
            }
            for item in readiness.checks
        ],
    }


# --- the caseload audit --------------------------------------------------------------------

AUDIT_COLUMNS = (
    "phase",
    "exercises/day",
    "min/day",
    "min/week",
    "in-day-min",
    "sessions/day",
    "off-library",
    "low-volume",
    "precautions",
)


def _audit_cells(audit: ProfileAudit) -> list[str]:
    metrics = audit.metrics
    return [
        str(audit.phase),
        str(metrics.max_distinct_per_day),
        f"{metrics.min_minutes_per_day}-{metrics.max_minutes_per_day}",
        str(metrics.minutes_per_week),
        str(metrics.practice_minutes_per_day),
        str(metrics.max_sessions_per_day),
        str(len(audit.off_library)),
        str(len(audit.low_volume)),
        ", ".join(audit.precautions) or "-",
    ]


def audit_text(audits: Sequence[ProfileAudit]) -> str:
    """The caseload audit for the terminal: a line per profile under a header, a summary.

    `exercises/day` is the most distinct exercises on any day, `min/day` the least and most
    minutes on any day, `in-day-min` the most minutes of activities practised within a day
    (walks, standing practice: not counted in `min/day`), `sessions/day` the most sessions on
    any day, `off-library` how many
    exercises are done more than twice or less than half as often a week as the library
    doses them for the phase, `low-volume` how many do less than half its work a week (sets
    times reps times sessions: a ritual's one set counts less than the library's three;
    clinician doses aside for both)."""
    width = max([len("profile"), *(len(audit.profile) for audit in audits)])
    lines = ["  ".join([f"{'profile':<{width}}", *AUDIT_COLUMNS])]
    for audit in audits:
        cells = _audit_cells(audit)
        aligned = [f"{cell:>{len(name)}}" for cell, name in zip(cells, AUDIT_COLUMNS, strict=True)]
        if audit.blocked:
            flags = ", ".join(audit.red_flags)
            lines.append(f"{audit.profile:<{width}}  {aligned[0]}  blocked by red flags: {flags}")
            continue
        line = "  ".join([f"{audit.profile:<{width}}", *aligned[:-1], cells[-1]])
        marked = audit.metrics.each_side_marked
        if marked:
            line += f"  each side, though marked side only: {', '.join(marked)}"
        lines.append(line)
    lines.append(_summary_text(summarize(audits)))
    return "\n".join(lines) + "\n"


def _summary_text(summary: CaseloadSummary) -> str:
    planned = summary.profiles - summary.blocked
    return (
        f"{_count(summary.profiles, 'profile')}, {summary.blocked} blocked: "
        f"up to {summary.max_distinct_per_day} exercises and "
        f"{summary.max_sessions_per_day} sessions a day; "
        f"phases 1-3 {summary.min_minutes_per_day}-{summary.max_minutes_per_day} minutes a day; "
        f"phase 4 up to {summary.max_minutes_per_week} minutes a week; "
        f"{summary.off_library} doses off the library in {summary.plans_off_library} "
        f"of {_count(planned, 'plan')}"
    )


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _audit_json(audit: ProfileAudit) -> dict[str, Any]:
    metrics = audit.metrics
    data: dict[str, Any] = {
        "profile": audit.profile,
        "phase": audit.phase,
        "precautions": list(audit.precautions),
        "blocked": audit.blocked,
        "red_flags": list(audit.red_flags),
    }
    if audit.blocked:
        return data
    return data | {
        "max_distinct_per_day": metrics.max_distinct_per_day,
        "min_minutes_per_day": metrics.min_minutes_per_day,
        "max_minutes_per_day": metrics.max_minutes_per_day,
        "minutes_per_week": metrics.minutes_per_week,
        "max_sessions_per_day": metrics.max_sessions_per_day,
        "practice_minutes_per_day": metrics.practice_minutes_per_day,
        "days": [
            {
                "day": day,
                "exercises": sorted(load.exercises),
                "minutes": load.minutes,
                "sessions": load.sessions,
            }
            for day, load in zip(ENGLISH.day_names(), metrics.days, strict=True)
        ],
        "exposures_per_week": metrics.exposures_per_week,
        "dose_ratios": {name: round(ratio, 3) for name, ratio in metrics.dose_ratios.items()},
        "off_library": list(audit.off_library),
        "volume_ratios": {name: round(r, 3) for name, r in metrics.volume_ratios.items()},
        "low_volume": list(audit.low_volume),
        "each_side_marked": list(metrics.each_side_marked),
    }


def audit_json_text(audits: Sequence[ProfileAudit]) -> str:
    data = {
        "profiles": [_audit_json(audit) for audit in audits],
        "summary": asdict(summarize(audits)),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
