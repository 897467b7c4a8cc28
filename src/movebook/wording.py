"""Patient-facing phrases the package computes, in the profile's language (gettext + Babel)."""

from __future__ import annotations

import datetime
import functools
import gettext
import io
from collections.abc import Mapping
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_day_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from movebook.course import ExerciseChange
from movebook.model import Exercise
from movebook.plan import ROUND_SECONDS, PlannedDose, PlannedExercise, Session

DOMAIN = "movebook"
LOCALE_DIR = resources.files("movebook") / "theme" / "locale"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue for a language (`pt-BR` finds pt_BR, then pt); English is the source text."""
    for tag in _candidates(language):
        po = LOCALE_DIR / tag / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.is_file():
            catalog = read_po(io.BytesIO(po.read_bytes()), locale=tag, domain=DOMAIN)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            return gettext.GNUTranslations(compiled)
    return gettext.NullTranslations()


@functools.cache
def locale_of(language: str) -> Locale:
    for tag in _candidates(language):
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def has_catalogue(language: str) -> bool:
    return any(
        (LOCALE_DIR / tag / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
        for tag in _candidates(language)
    )


def _candidates(language: str) -> list[str]:
    tag = language.replace("-", "_")
    return list(dict.fromkeys([tag, tag.split("_")[0]]))


class Words:
    """What the package says to a patient: session names, doses, dates, in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = locale_of(language)
        self.translations = translations(language)
        self.gettext = self.translations.gettext
        self.ngettext = self.translations.ngettext

    # --- dates and numbers ---------------------------------------------------

    def date(self, value: str | datetime.date) -> str:
        day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "long", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def day_names(self) -> list[str]:
        """Monday first, as the plan's weekly rhythm is."""
        names = get_day_names("wide", locale=self.locale)
        return [str(names[index]) for index in range(7)]

    def week_groups(self, rhythm: tuple[tuple[str, ...], ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The week's days grouped by what is done on them, first day first: ("Every day",
        ids), or ("Monday, Wednesday, and Friday", ids) and ("Tuesday to Thursday", ids). Seven
        rows that say the same thing hide the one that differs."""
        _ = self.gettext
        names = self.day_names()
        days: dict[tuple[str, ...], list[int]] = {}
        for index, ids in enumerate(rhythm):
            days.setdefault(ids, []).append(index)
        groups: list[tuple[str, tuple[str, ...]]] = []
        for ids, indices in days.items():
            if len(indices) == len(names):
                label = _("Every day")
            elif len(indices) >= 3 and indices[-1] - indices[0] == len(indices) - 1:
                label = _("%(first)s to %(last)s") % {
                    "first": names[indices[0]],
                    "last": names[indices[-1]],
                }
            else:
                label = format_list([names[i] for i in indices], locale=self.locale)
            groups.append((label[:1].upper() + label[1:], ids))
        return groups

    def minutes(self, count: int) -> str:
        return self.ngettext("%(num)d minute", "%(num)d minutes", count) % {"num": count}

    # --- sessions ------------------------------------------------------------

    def session_name(self, session: Session) -> str:
        _ = self.gettext
        if session.ritual is not None:
            return session.ritual.name
        if session.id == "main":
            return _("Your main session")
        return _("In your day")

    def session_when(self, session: Session) -> str:
        _ = self.gettext
        if session.ritual is not None:
            return session.ritual.when
        if session.id == "main":
            return _("At a time of day when you feel least stiff")
        return _("As part of what you do anyway: a walk, your work, a journey")

    def every(self, minutes: int) -> str:
        """An interval: `every 30 minutes`, `every 2 hours`."""
        if minutes % 60 == 0:
            hours = minutes // 60
            return self.ngettext("every hour", "every %(num)d hours", hours) % {"num": hours}
        return self.ngettext("every %(num)d minute", "every %(num)d minutes", minutes) % {
            "num": minutes
        }

    def dose_often(
        self, dose: PlannedDose, planned: PlannedExercise | None = None, mid_line: bool = False
    ) -> str:
        """How often an exercise is done: the clinician's own words where the note set them
        ("before every performance"), an interval, or a count. Capitalised to start a line."""
        if planned is not None and planned.when and planned.every_min:
            often = f"{planned.when}, {self.every(planned.every_min)}"
        elif planned is not None and planned.when:
            often = planned.when
        elif planned is not None and planned.every_min:
            often = self.every(planned.every_min)
        else:
            return self.how_often(dose.per_day, dose.per_week)
        return often[:1].lower() + often[1:] if mid_line else often[:1].upper() + often[1:]

    def session_often(self, session: Session) -> str:
        """How often a session is done: a count or an interval, never both."""
        _ = self.gettext
        if session.every_min is not None:
            return self.every(session.every_min)
        if session.ritual is None and session.id != "main":
            return _("each as often as it says")
        return self.how_often(session.per_day, session.per_week)

    def how_often(self, per_day: int | None, per_week: int | None) -> str:
        _ = self.gettext
        if per_week:
            return self.ngettext("%(num)d day a week", "%(num)d days a week", per_week) % {
                "num": per_week
            }
        if per_day == 2:
            return _("twice a day")
        if per_day and per_day > 2:
            return self.ngettext("%(num)d time a day", "%(num)d times a day", per_day) % {
                "num": per_day
            }
        return _("once a day")

    # --- doses ---------------------------------------------------------------

    def amount(self, dose: PlannedDose) -> str:
        """How much in one go: `2 sets of 8, hold 5 seconds, each side`."""
        _ = self.gettext
        if dose.carry and dose.hold_s:
            return self._carries(dose)
        parts = []
        if dose.minutes:
            minutes = self.minutes(dose.minutes)
            parts.append(
                self.ngettext(
                    "%(num)d round of %(minutes)s", "%(num)d rounds of %(minutes)s", dose.sets
                )
                % {"num": dose.sets, "minutes": minutes}
                if dose.sets > 1
                else minutes
            )
        elif dose.reps and dose.rep_s >= ROUND_SECONDS:  # a round of moves, as its page says
            rounds = dose.sets * dose.reps
            parts.append(self.ngettext("%(num)d round", "%(num)d rounds", rounds) % {"num": rounds})
        elif dose.reps:
            parts.append(
                self.ngettext("%(num)d set of %(reps)d", "%(num)d sets of %(reps)d", dose.sets)
                % {"num": dose.sets, "reps": dose.reps}
            )
        if dose.hold_s:
            parts.append(
                self.ngettext("hold %(num)d second", "hold %(num)d seconds", dose.hold_s)
                % {"num": dose.hold_s}
            )
        if dose.tempo:
            parts.append(_("at a %(tempo)s count") % {"tempo": dose.tempo})
        if dose.only_side == "left":
            parts.append(_("left side only"))
        elif dose.only_side == "right":
            parts.append(_("right side only"))
        elif dose.per_side:
            parts.append(_("each side"))
        return ", ".join(parts)

    def _carries(self, dose: PlannedDose) -> str:
        """A carry's amount: `2 carries of 30 seconds, one in each hand`."""
        seconds = self.ngettext("%(num)d second", "%(num)d seconds", dose.hold_s or 0) % {
            "num": dose.hold_s
        }
        carries = dose.sets * (dose.reps or 1)
        if dose.per_side:
            return self.ngettext(
                "%(num)d carry of %(seconds)s in each hand",
                "%(num)d carries of %(seconds)s in each hand",
                carries,
            ) % {"num": carries, "seconds": seconds}
        if carries == 1:
            return self.gettext("1 carry of %(seconds)s") % {"seconds": seconds}
        if carries == 2:
            return self.gettext("2 carries of %(seconds)s, one in each hand") % {"seconds": seconds}
        return self.gettext("%(num)d carries of %(seconds)s, changing hands each time") % {
            "num": carries,
            "seconds": seconds,
        }

    def load(self, dose: PlannedDose, exercise: Exercise | None = None) -> str | None:
        """What to lift, carry or pull against: the library's for the patient's phase, in the
        words of the exercise as told (its translation), or the clinician's as written."""
        if exercise is not None and dose.load_phase in exercise.meta.dose:
            return exercise.meta.dose[dose.load_phase].load or dose.load
        return dose.load

    def side_line(self, dose: PlannedDose, planned: PlannedExercise | None = None) -> str | None:
        """Which side, said in full: the only side a directional drill is done on, the hand or
        side that gets a set more, or the side to start with; led by the exercise's own way
        for that side where it has one (which side to the wall, which leg to stand on)."""
        _ = self.gettext
        side = (
            dose.only_side
            or dose.extra_hand
            or dose.extra_side
            or (planned.side if dose.per_side and planned is not None else None)
        )
        if side not in ("left", "right"):
            return None
        right = side == "right"
        cue = planned.exercise.meta.side_cue if planned is not None else None
        way = getattr(cue, side) if cue is not None else None
        if dose.only_side:
            if right:
                line = _(
                    "Do this on your right side only, the side your clinician marked, "
                    "unless they tell you otherwise."
                )
            else:
                line = _(
                    "Do this on your left side only, the side your clinician marked, "
                    "unless they tell you otherwise."
                )
            return f"{way} {line}" if way else line
        if dose.extra_hand:
            if right:
                return _("Do one more set with the load in your right hand.")
            return _("Do one more set with the load in your left hand.")
        if way:  # it names the side already: what is left to say of it
            if dose.extra_side:
                return f"{way} " + _("Do one more set on that side.")
            return f"{way} " + _("That side needs the work.")
        if dose.extra_side:
            if right:
                return _("Start with your right side, and do one more set on that side.")
            return _("Start with your left side, and do one more set on that side.")
        if right:
            return _("Start with your right side, the side that needs the work.")
        return _("Start with your left side, the side that needs the work.")

    def hold(self, planned: PlannedExercise | None) -> str | None:
        """What to hold on to, for an exercise done in its supported form."""
        if planned is None or not planned.supported:
            return None
        supported = planned.exercise.meta.supported
        return supported.hold if supported is not None else None

    def rest(self, dose: PlannedDose) -> str | None:
        if dose.sets < 2 or not dose.rest_s:
            return None
        return self.ngettext(
            "Rest %(num)d second between sets.", "Rest %(num)d seconds between sets.", dose.rest_s
        ) % {"num": dose.rest_s}

    def start(self, dose: PlannedDose) -> str | None:
        _ = self.gettext
        if not dose.gentle_start:
            return None
        if dose.start_reps:
            return _("For the first week, do 1 set of %(reps)d and build up from there.") % {
                "reps": dose.start_reps
            }
        return _("For the first week, do 1 set and build up from there.")

    def adjustment(self, code: str) -> str:
        _ = self.gettext
        if code == "shorter_holds":
            return _("Shorter holds and more slow repetitions, because holding still is hard.")
        if code == "shorter":
            return _("A shorter time than usual, so that your whole day stays manageable.")
        if code == "one_set":
            return _("One set for now, so that your whole day stays manageable.")
        return _("Your clinician set this amount for you.")

    def change_reason(self, change: ExerciseChange, goals: Mapping[str, str]) -> str:
        """Why an exercise changed, in a few words a patient reads after "because"."""
        _ = self.gettext
        reason = change.reason
        if reason == "phase":
            return _("you have moved on to the next phase")
        if reason == "better":
            return _("you are ready for the next step")
        if reason == "worse":
            return _("it is kinder while things are harder")
        if reason == "no_longer_fits":
            return _("it does not suit you at the moment")
        if reason == "clinician":
            return _("your clinician chose it")
        goal = goals.get(change.serves or "")
        if reason in ("new", "serves") and goal:
            return _("it practises “%(goal)s”") % {"goal": goal}
        if reason in ("new", "serves") and change.goal:
            return _("it practises one of your goals")
        if reason == "new":
            return _("it works on something new your clinician found")
        if reason == "resolved":
            return _("you no longer need it")
        if reason == "replaced":
            return _("your other exercises now do its work")
        if reason == "budget":
            return _("it keeps your day short")
        return _("it builds what your plan is working on")

    def cue_leads(self, first: bool = False) -> tuple[str, ...]:
        """How a sentence of an exercise's movement may open without being its cue: a word
        that only links it to the one before ("Then"), or, with `first`, a breath taken to
        get ready ("Breathe in")."""
        leads = CUE_LEADS.get(self.language, CUE_LEADS[SOURCE_LANGUAGE])
        return leads[1] if first else leads[0]

    def stop_rule(self) -> str:
        _ = self.gettext
        return _("Ask yourself: how many can I do perfectly? Stop the set before your form slips.")


# --- catalogues ---------------------------------------------------------------

SOURCE_LANGUAGE = "en"
CUE_LEADS = {  # see Words.cue_leads: linking words, then the openings of a getting-ready breath
    "en": (("Then ", "Now ", "Next "), ("Breathe in",)),
    "es": (("Luego ", "Después ", "Entonces "), ("Inspire", "Tome aire", "Coja aire")),
}


def catalogue_languages() -> list[str]:
    """Every language with a catalogue but the source one."""
    return sorted(
        folder.name.replace("_", "-")
        for folder in LOCALE_DIR.iterdir()
        if folder.name != SOURCE_LANGUAGE and (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )


@functools.cache
def untranslated_strings(language: str) -> tuple[int, int]:
    """How many messages of a language's catalogue are untranslated (or marked fuzzy), of how
    many: every message of the source catalogue for a language without one. That the catalogue
    holds every message of the templates is scripts/messages.py's to check."""
    for tag in [*_candidates(language), SOURCE_LANGUAGE]:
        po = LOCALE_DIR / tag / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.is_file():
            catalog = read_po(io.BytesIO(po.read_bytes()), locale=tag, domain=DOMAIN)
            messages = [message for message in catalog if message.id]
            if tag == SOURCE_LANGUAGE and language != SOURCE_LANGUAGE:
                return len(messages), len(messages)
            missing = sum(1 for message in messages if message.fuzzy or not _done(message.string))
            return missing, len(messages)
    return 0, 0


def _done(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)
