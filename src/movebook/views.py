"""Views of a plan for the clinician: JSON for machines, plain text for the terminal."""

from __future__ import annotations

import json
from typing import Any

from movebook.model import Library
from movebook.plan import Plan, PlannedDose, PlannedExercise
from movebook.wording import Words

ENGLISH = Words("en")


def dose_text(dose: PlannedDose) -> str:
    """`2 x 6 reps (3-1-3), hold 5 s, each side, once a day`."""
    parts = []
    if dose.minutes:
        parts.append(
            f"{dose.sets} x {dose.minutes} min" if dose.sets > 1 else f"{dose.minutes} min"
        )
    elif dose.reps:
        parts.append(f"{dose.sets} x {dose.reps}")
    if dose.hold_s:
        parts.append(f"hold {dose.hold_s} s")
    if dose.tempo:
        parts.append(f"tempo {dose.tempo}")
    if dose.per_side:
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
    }


def plan_json(plan: Plan) -> dict[str, Any]:
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
        "unaddressed_findings": [{"id": n, "why": why} for n, why in plan.unaddressed_findings],
        "unaddressed_goals": [{"task": n, "why": why} for n, why in plan.unaddressed_goals],
        "stop_rule": ENGLISH.stop_rule(),
    }


def plan_json_text(plan: Plan) -> str:
    return json.dumps(plan_json(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan_text(plan: Plan, library: Library) -> str:
    """A readable plan for the clinician in the terminal."""
    lines = [f"{plan.profile}: assessment {plan.assessment_date}, phase {plan.phase}"]
    if plan.blocked:
        lines.append("RED FLAGS: no exercise plan. Contact the patient now.")
        lines += [f"  - {flag.label}: {flag.action}" for _, flag in plan.red_flags]
        return "\n".join(lines) + "\n"
    blocks = {block.id: block.name for block in library.blocks}
    for session in plan.sessions:
        how_often = (
            f"{session.per_week}x a week"
            if session.per_week
            else f"{session.per_day}x a day"
            if session.per_day
            else "daily"
        )
        lines.append("")
        lines.append(
            f"{ENGLISH.session_name(session)} (~{session.minutes} min, {how_often}; "
            f"{ENGLISH.session_when(session).lower()})"
        )
        for planned in session.exercises:
            meta = planned.exercise.meta
            side = f" [favour {planned.side}]" if planned.side else ""
            pin = " [pinned]" if planned.pinned else ""
            lines.append(
                f"  {blocks[meta.block]:<12} {meta.title}{side}{pin}: {dose_text(planned.dose)}"
            )
            why = list(planned.addresses) + list(planned.rehearses)
            if why:
                lines.append(f"  {'':<12}   for {', '.join(why)}")
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
    for label, missing in (
        ("Findings not addressed", plan.unaddressed_findings),
        ("Goals not rehearsed", plan.unaddressed_goals),
    ):
        if missing:
            lines.append("")
            lines.append(label)
            lines += [f"  - {name}: {why}" for name, why in missing]
    return "\n".join(lines) + "\n"
