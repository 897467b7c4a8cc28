"""Stage 4, render: a plan into web booklet pages and a PDF handout, from Jinja templates."""

from __future__ import annotations

import atexit
import base64
import dataclasses
import functools
import logging
import math
import mimetypes
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

import jinja2
import markdown
import nh3
from babel.dates import format_date
from markupsafe import Markup

from movebook.changes import Changes, compare, criteria_met
from movebook.chart import ChartLabels, Point, progress_chart, progress_rows
from movebook.course import Visit, plan_course
from movebook.errors import Problem, ProjectError
from movebook.figure import FigureLabels, animation_css, figure_moves, figure_svg
from movebook.model import (
    Assessment,
    Config,
    EducationPage,
    Exercise,
    Figure,
    Library,
    Profile,
    Translation,
)
from movebook.plan import PRACTICE, PhaseStep, Plan, PlannedDose, PlannedExercise, Session
from movebook.plan.dose import with_load_limit
from movebook.readiness import psfs_mean
from movebook.wording import Words, has_catalogue

THEME = Path(str(resources.files("movebook") / "theme"))
PACKAGE_TEMPLATES = THEME / "templates"
STATIC = THEME / "static"
PROJECT_TEMPLATES = "templates"
FONTS = STATIC / "fonts"

FLARE_UP_PAGE = "flare-up-plan"  # education page ids the booklet gives a place of their own
RED_FLAG_PAGE = "red-flags"

# What Markdown from a profile or the library may become. Anything else is dropped.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "strong", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
# Where a link from Markdown may lead. Not http: (the same page on https, or nothing), not
# relative paths (they would lead to the clinic's own folder, or a file:// share, from the
# PDF) and not #anchors: the ids differ between a web page and the handout, so one that works
# in one is broken in the other.
LINK_SCHEMES = {"https", "mailto", "tel"}
# C0 and C1 control characters but tab and newline: never valid in HTML, invisible on paper.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANCHOR_TAG = re.compile(r"<a(\s[^>]*)?>|</a>")  # nh3 escapes < and > inside values
_CSS_UNSAFE = re.compile(r"""[^ -~]|["'\\<>&]""")  # what css_string writes as an escape

# Every site page may load only the site's own stylesheet, fonts, images and loader script,
# and send nothing anywhere else. (frame-ancestors only works as an HTTP header: see README.)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; base-uri 'none'"
)


# The same, and more, as HTTP headers, for hosts that read a _headers file (Netlify, Cloudflare
# Pages) and as the list to copy into a web server's configuration.
HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow, noarchive"),
    ("X-Content-Type-Options", "nosniff"),
]


# --- Markdown -----------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def markdown_html(text: str, shift: int = 0) -> Markup:
    """Markdown to HTML through an allow-list sanitizer: raw HTML can't smuggle in anything,
    and a link whose address is not allowed becomes its plain text. Cached: an exercise's
    sections are the same on every page and in every booklet that shows them."""
    html = markdown.markdown(CONTROL.sub("", text), extensions=["sane_lists"], output_format="html")
    for level in range(4, 0, -1) if shift else ():
        html = html.replace(f"<h{level}", f"<h{min(6, level + shift)}")
        html = html.replace(f"</h{level}>", f"</h{min(6, level + shift)}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=LINK_SCHEMES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Markup(CONTROL.sub("", _unwrap_dead_links(clean)))  # sanitized just above


def halves(html: Markup) -> tuple[Markup, Markup]:
    """The HTML cut before the heading nearest its middle: two columns about as long, for
    paper, where the layout engine would otherwise balance them again and again."""
    cuts = [match.start() for match in re.finditer(r"<h[2-4][ >]", html)][1:]
    if not cuts:
        return html, Markup("")
    cut = min(cuts, key=lambda at: abs(len(html) - 2 * at))
    return Markup(html[:cut]), Markup(html[cut:])


def allowed_link(url: str) -> str | None:
    """The address a link from untrusted text may keep: an https:// one with a host and no
    user name, or mailto: or tel:. None for anything else (a relative or protocol-relative
    path, file:, javascript:, or an address with spaces or control characters in it)."""
    if re.search(r"[\x00-\x20\x7f-\x9f\\]", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("mailto", "tel"):
        return url
    web = url[len(scheme) : len(scheme) + 3] == "://" and "@" not in parts.netloc
    return url if scheme == "https" and web and parts.hostname else None


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    return allowed_link(value) if attribute == "href" else value


def _unwrap_dead_links(html: str) -> str:
    """`<a>` tags that lost their href, without the tags: their text stays as text."""
    live: list[bool] = []

    def tag(match: re.Match[str]) -> str:
        if match[0] == "</a>":
            return match[0] if not live or live.pop() else ""
        live.append(' href="' in (match[1] or ""))
        return match[0] if live[-1] else ""

    return _ANCHOR_TAG.sub(tag, html)


def css_string(value: object) -> Markup:
    """A value as a quoted CSS string. Quotes, backslashes, `<` (so that `</style` can never
    end the element a stylesheet is inlined in) and everything outside printable ASCII are
    written as `\\HHHHHH ` escapes; nothing else in a value can reach the CSS syntax."""
    text = _CSS_UNSAFE.sub(lambda match: f"\\{ord(match[0]):06X} ", CONTROL.sub("", str(value)))
    return Markup(f'"{text}"')


# --- templates ---------------------------------------------------------------


def environment(project_root: Path | None, language: str) -> jinja2.Environment:
    """The project's templates first, then movebook's, also reachable as `movebook/<name>`
    so that a clinic's template can extend the one it replaces.

    Cached for a long-running process (`movebook serve`): Jinja itself notices an edited
    template, and a template added to or removed from templates/ gives a new environment."""
    return _environment(project_root, language, _overrides(project_root))


def _overrides(project_root: Path | None) -> frozenset[str]:
    """The project's own template files, by path inside templates/."""
    folder = project_root / PROJECT_TEMPLATES if project_root is not None else None
    if folder is None or not folder.is_dir():
        return frozenset()
    return frozenset(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@functools.lru_cache(maxsize=16)
def _environment(
    project_root: Path | None, language: str, overrides: frozenset[str]
) -> jinja2.Environment:
    package = jinja2.FileSystemLoader(PACKAGE_TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if project_root is not None and overrides:
        loaders.append(jinja2.FileSystemLoader(project_root / PROJECT_TEMPLATES))
    loaders += [jinja2.PrefixLoader({"movebook": package}), package]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "svg", "xml"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    words = Words(language)
    env.install_gettext_translations(words.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = markdown_html
    env.filters["halves"] = halves
    env.filters["css_string"] = css_string
    env.globals["words"] = words
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    return env


def _printable(value: Any) -> Any:
    """What a template prints, without control characters (a YAML "\\x07" is text too)."""
    if isinstance(value, str) and CONTROL.search(value):
        clean = CONTROL.sub("", value)
        return Markup(clean) if isinstance(value, Markup) else clean
    return value


def template_position(error: BaseException) -> tuple[str, int] | None:
    """(`templates/overview.html`, 12): the innermost template frame of an error, or None if
    no template was running."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return _shown(error.filename), error.lineno
    frame = error.__traceback__
    where = None
    while frame is not None:
        name = frame.tb_frame.f_code.co_filename
        if name.endswith((".html", ".css", ".svg", ".xml")):
            where = _shown(name), frame.tb_lineno
        frame = frame.tb_next
    return where


def render_error(error: Exception) -> str:
    """What went wrong in a template, on one line: Jinja's own words, or the exception a
    template raised (`{{ 1/0 }}`) with its name."""
    if isinstance(error, jinja2.TemplateError):
        return _one_line(str(error))
    return _one_line(f"{type(error).__name__}: {error}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shown(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(PACKAGE_TEMPLATES):
        return f"movebook/{path.relative_to(PACKAGE_TEMPLATES)}"
    return f"{PROJECT_TEMPLATES}/{path.name}" if path.is_absolute() else filename


def _template_file(project_root: Path | None, name: str) -> str:
    """Where the template called `name` comes from, as messages show it."""
    return f"{PROJECT_TEMPLATES}/{name}" if name in _overrides(project_root) else f"movebook/{name}"


def template_problems(project_root: Path | None) -> list[Problem]:
    """Every template that does not compile, and where."""
    env = environment(project_root, "en")
    problems = []
    for name in env.list_templates(filter_func=lambda n: not n.startswith("movebook/")):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            where = _shown(error.filename) if error.filename else _template_file(project_root, name)
            got = f"expected a valid template, got {_one_line(error.message or '')}"
            problems.append(Problem(where, error.lineno, "", got))
        except UnicodeDecodeError as error:
            line = error.object[: error.start].count(b"\n") + 1
            problems.append(
                Problem(
                    _template_file(project_root, name),
                    line,
                    "",
                    "expected a UTF-8 text file, got bytes that are not UTF-8",
                )
            )
    return problems


def check_templates(project_root: Path | None) -> None:
    """Compile every template once, so a typo stops the build before anything is written."""
    problems = template_problems(project_root)
    if problems:
        raise ProjectError(problems)


# --- what a booklet says ----------------------------------------------------


class Person(TypedDict):
    name: str
    greeting: str
    clinician: str | None
    language: str


@dataclass(frozen=True)
class Booklet:
    """Everything a patient gets, before it is written anywhere."""

    profile: str
    assessment_date: str
    language: str
    pages: Mapping[str, str]  # file name in the patient's folder -> HTML, earlier booklets too
    handout: str  # the HTML the PDF is made from
    earlier_handouts: Mapping[str, str] = field(default_factory=dict)  # date -> HTML


@dataclass(frozen=True)
class Story:
    """Where this assessment sits in the patient's story: what changed since the one before,
    every measure so far for the chart, and (in the current booklet) the earlier booklets."""

    changes: Changes | None
    points: tuple[Point, ...]
    earlier: tuple[tuple[str, str], ...] = ()  # (date, front page) of each, newest first
    current: bool = True  # an earlier booklet says so and links to the current one


@dataclass
class Links:
    """File names in the patient's folder; flat, so every link is relative and works offline."""

    exercises: set[str] = field(default_factory=set)

    @staticmethod
    def session(session: Session) -> str:
        return f"session-{session.id}.html"

    @staticmethod
    def learn(page: EducationPage) -> str:
        return f"learn-{page.id}.html"

    def exercise(self, exercise_id: str) -> str | None:
        return f"exercise-{exercise_id}.html" if exercise_id in self.exercises else None


def shown_language(language: str, library: Library) -> str:
    """The language itself if movebook has words in it (a catalogue, a translated library),
    else English."""
    known = language == library.language or library.translation(language) is not None
    return language if known or has_catalogue(language) else "en"


def booklet_language(profile: Profile, config: Config, library: Library) -> str:
    """The profile's language, or the clinic's, as shown."""
    return shown_language(profile.language or config.defaults.language, library)


def untranslated(
    config: Config, library: Library, profiles: Collection[Profile]
) -> list[Translation]:
    """The translations these booklets are told in that still fall back to English somewhere:
    a language no patient reads is nobody's concern yet."""
    languages = {booklet_language(profile, config, library) for profile in profiles}
    found = {t.language: t for lang in languages if (t := library.translation(lang)) is not None}
    return [found[language] for language in sorted(found) if not found[language].complete]


def untranslated_warnings(
    config: Config, library: Library, profiles: Collection[Profile]
) -> list[str]:
    """One line for each: `es: 12 of 75 exercises, ... untranslated; English used`."""
    return [translation.summary() for translation in untranslated(config, library, profiles)]


def in_words(visit: Visit, english: Library, shown: Library) -> Visit:
    """A visit planned with the English library, told with the words of `shown`, a translation
    of it: planning reads the English (a clinician's note names exercises in English), the
    patient reads their language. The clinician's notes stay as written."""
    if shown is english:
        return visit
    swap: dict[int, Any] = {}
    for old, new in (
        *zip(english.exercises.values(), shown.exercises.values(), strict=True),
        *zip(english.rituals, shown.rituals, strict=True),
        *zip(english.blocks, shown.blocks, strict=True),
        *(
            pair
            for before, after in zip(english.phases, shown.phases, strict=True)
            for pair in zip(before.exit_criteria, after.exit_criteria, strict=True)
        ),
        *(
            (item, getattr(shown.vocabulary, kind.name)[key])
            for kind in dataclasses.fields(english.vocabulary)
            for key, item in getattr(english.vocabulary, kind.name).items()
        ),
    ):
        swap[id(old)] = new
    phases = {phase.number: phase for phase in shown.phases}

    def told(value: Any) -> Any:
        if id(value) in swap:
            return swap[id(value)]
        if isinstance(value, PhaseStep) and value.number in phases:
            phase = phases[value.number]
            criteria = told(value.exit_criteria)
            return dataclasses.replace(
                value, name=phase.name, aim=phase.aim, exit_criteria=criteria
            )
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changed = {
                name: new
                for name in (f.name for f in dataclasses.fields(value))
                if (new := told(old := getattr(value, name))) is not old
            }
            return dataclasses.replace(value, **changed) if changed else value
        if isinstance(value, tuple | list):
            items = [told(item) for item in value]
            same = all(a is b for a, b in zip(items, value, strict=True))
            return value if same else type(value)(items)
        if isinstance(value, Mapping):
            pairs = {key: told(item) for key, item in value.items()}
            return value if all(pairs[k] is v for k, v in value.items()) else pairs
        return value

    result: Visit = told(visit)
    return result


def translated(words: Words, labels: Any) -> Any:
    """A labels dataclass (ChartLabels, FigureLabels) with every default translated."""
    _ = words.gettext
    return labels(**{name: _(str(getattr(labels, name))) for name in labels.__dataclass_fields__})


@dataclass(frozen=True)
class TrackerRow:
    """A row of the four-week tracker: what to tick, how many boxes each day (Monday first),
    or, for what is done only on an occasion, that occasion instead."""

    label: str
    counts: tuple[int, ...]
    occasion: str | None = None


# The tracker (handout.css): its width on the page in millimetres (the page less its margins;
# a clinic's own margins only stretch the boxes a little), the share of it the session's name
# takes (per cent), and the room for one tick box. A box is 4.6 mm square, 0.7 mm in from
# its room, drawn from its top left corner (in tenths of a mm); square, as rounded corners
# are curves WeasyPrint works out one by one.
TRACKER_WIDTH = {"A4": 186.0, "Letter": 191.9}
TRACKER_FIRST = 21.5
TICK = 6.0
TICK_INSET = 7.0
TICK_PATH = "h46v46h-46z"


STOP_SECTION = "Stop if"
_ITEM = re.compile(r"^- (.+\n?(?:  .+\n?)*)", re.MULTILINE)  # a Markdown list item, wrapped


def shared_stop_signs(library: Library) -> tuple[str, ...]:
    """The stop signs that a quarter or more of the library's exercises (and at least three)
    list word for word, in the order they first come: the rule for every exercise. On paper
    they are printed once, not on every card."""
    counts: dict[str, int] = {}
    for exercise in library.exercises.values():
        for item in dict.fromkeys(_items(exercise.sections.get(STOP_SECTION, ""))):
            counts[item] = counts.get(item, 0) + 1
    least = max(3, len(library.exercises) / 4)
    return tuple(item for item, count in counts.items() if count >= least)


def rule_stop_signs(
    shared: Sequence[str], findings: Iterable[str], library: Library
) -> tuple[str, ...]:
    """The shared stop signs as one patient reads them in the rule for every exercise: where
    a finding expects what a sign stops for, the finding's own sign in its place (stenosis:
    legs that grow heavy or tingle on a walk and ease on sitting)."""
    known = library.vocabulary.findings
    instead = {
        finding.replaces_stop_sign: finding.stop_sign
        for name in findings
        if (finding := known.get(name)) is not None and finding.replaces_stop_sign
    }
    return tuple(instead.get(sign) or sign for sign in shared)


def _items(text: str) -> list[str]:
    return [" ".join(match[1].split()) for match in _ITEM.finditer(text)]


def _without_items(text: str, items: Collection[str]) -> str:
    kept = _ITEM.sub(lambda m: "" if " ".join(m[1].split()) in items else m[0], text)
    return kept.strip()


def _size(text: str) -> int:
    """About how much room Markdown takes on a card: its characters, and a part of a line
    for each paragraph and list item."""
    items = 1 + text.count("\n- ") + text.count("\n\n") + len(re.findall(r"\n\d\. ", text))
    return len(text) + 45 * items


class Context:
    """The template context shared by every page of one patient's booklet."""

    def __init__(self, project_root: Path | None, config: Config, library: Library,
                 profile: Profile, visit: Visit, assets: str,
                 link: str | None, story: Story | None = None) -> None:  # fmt: skip
        self.config = config
        self.story = story or Story(None, ())
        self.link = link  # the patient's private URL, key included: for the handout's QR code
        self.library = library
        self.profile = profile
        self.visit = visit
        self.plan = visit.plan
        self.assessment: Assessment = profile.latest
        self.language = booklet_language(profile, config, library)
        self.env = environment(project_root, self.language)
        self.words: Words = self.env.globals["words"]  # type: ignore[assignment]
        self.assets = assets
        self.person = Person(
            name=profile.name,
            greeting=profile.preferred_name or profile.name.split()[0],
            clinician=profile.clinician or config.defaults.clinician,
            language=self.language,
        )
        self.education = sorted(library.education.values(), key=lambda p: (p.meta.order, p.id))
        self.shared_stops = shared_stop_signs(library)
        findings = (finding.id for finding in self.assessment.signature.findings)
        self.rule_stops = rule_stop_signs(self.shared_stops, findings, library)
        self.links = Links()
        # Pages for every planned exercise, and for its next step and step back where allowed.
        self.links.exercises.update(visit.steps)

    def next_step(self, exercise: Exercise) -> Exercise | None:
        return self.visit.next_step(exercise)

    def step_back(self, exercise: Exercise) -> Exercise | None:
        return self.visit.step_back(exercise)

    def card_stops(self, exercise: Exercise) -> str:
        """An exercise's own stop signs, for its card: those most of the library shares are
        printed once, in the rule every exercise keeps to."""
        return _without_items(exercise.sections.get(STOP_SECTION, ""), self.shared_stops)

    def own_stops(self, exercise: Exercise) -> str:
        """An exercise's stop signs on its web page, which keeps every one: a shared sign as
        this patient's rule reads it (stenosis: his usual walking leg symptoms expected)."""
        text = exercise.sections.get(STOP_SECTION, "")
        instead = {
            shared: rule
            for shared, rule in zip(self.shared_stops, self.rule_stops, strict=True)
            if shared != rule
        }
        if not instead:
            return text
        return _ITEM.sub(
            lambda m: f"- {instead.get(' '.join(m[1].split()), m[1].rstrip())}\n", text
        )

    def key_cue(self, exercise: Exercise) -> str:
        """One cue for the fridge sheet: the first sentence of how the exercise moves that
        says more than to get ready (not six words or fewer, nor a breath in), without a lead-in
        ("Use these in any order:", "Then"); the summary if there is none."""
        text = str(markdown_html(exercise.sections.get("The movement", "")).striptags())
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            cue = sentence.split(": ", 1)[-1].strip()
            for lead in self.words.cue_leads():
                if cue.startswith(lead):
                    cue = cue[len(lead) :]
            if len(cue.split()) < 7 or cue.startswith(self.words.cue_leads(first=True)):
                continue
            return cue[0].upper() + cue[1:].rstrip(".") + "."
        return exercise.meta.summary

    def shares_stops(self, exercise: Exercise) -> bool:
        """Whether the exercise lists any of the stop signs printed once for every exercise
        that does: only its card points there, as some exercises (a walk for narrowed nerve
        canals, say) ask you to carry on through what others stop for."""
        own = exercise.sections.get(STOP_SECTION, "")
        return any(item in self.shared_stops for item in _items(own))

    def card_columns(self, exercise: Exercise, note: str | None) -> tuple[list[str], list[str]]:
        """A card's parts on paper, in reading order, shared out between its two columns by
        their length, so that the two come out about as tall without the layout engine
        balancing them: 'dose', 'note', the exercise's sections, 'breathing', 'ladder'."""
        sections = list(exercise.sections)
        order = ["dose", "note", *sections[:2], "breathing", *sections[2:], "ladder"]
        steps = exercise.meta.micro_steps
        others = (self.next_step(exercise) is not None) + (self.step_back(exercise) is not None)
        sizes = {
            "dose": _size("") + 160,
            "note": _size(note) if note else 0,
            "breathing": _size(exercise.meta.breathing),
            "ladder": _size("") + 90 + sum(len(s.step) + 45 for s in steps) + 200 * others,
        }
        sizes[STOP_SECTION] = _size(self.card_stops(exercise)) + 90
        lengths = [
            sizes[name] if name in sizes else _size(exercise.sections[name]) for name in order
        ]
        total, left, cut = sum(lengths), 0, 0
        for index, length in enumerate(lengths, 1):
            if 2 * left + length <= total:  # its middle is in the first half
                left, cut = left + length, index
        return order[:cut], order[cut:]

    def program_extras(self, planned: PlannedExercise) -> list[str]:
        """What page 1 says under a row's dose, as the card says it: what to hold, the first
        week, the load, the side."""
        dose = planned.dose
        lines = (
            self.words.hold(planned),
            self.words.start(dose),
            self.words.load(dose, planned.shown),
            self.words.side_line(dose, planned),
        )
        return [line for line in lines if line]

    @functools.cached_property
    def long_day(self) -> bool:
        """Whether page 1's day is long enough (sixteen headings, rows and a row's extra lines)
        to be set in tighter rows, so that it still fits the page."""
        lines = sum(
            1 + len(session.exercises) + sum(len(self.program_extras(p)) for p in session.exercises)
            for session in self.plan.sessions
        )
        return lines >= 16

    @functools.cached_property
    def tracker_rows(self) -> list[TrackerRow]:
        """The four-week tracker's rows: a session's, with a box each time it is done that day
        on the days the week's rhythm does it; and for the day's practice, a row each item,
        boxed as often as that one is done (a walk twice a day: two), or, for what is done
        only on an occasion, the occasion and no boxes, so that no day looks missed."""
        rhythm = self.plan.weekly_rhythm
        rows = []
        for session in self.plan.sessions:
            if session.id != PRACTICE:
                often = min(session.per_day or 1, 9)
                counts = tuple(often if session.id in ids else 0 for ids in rhythm)
                rows.append(TrackerRow(self.words.session_name(session), counts))
                continue
            for planned in session.exercises:
                meta = planned.exercise.meta
                often = min(planned.dose.per_day or 1, 9)
                counts = tuple(often if session.id in ids else 0 for ids in rhythm)
                if meta.occasion:
                    rows.append(TrackerRow(meta.title, (0,) * len(rhythm), meta.occasion))
                else:
                    rows.append(TrackerRow(meta.title, counts))
        return rows

    def tracker_css(self) -> Markup:
        """The tick boxes of each tracker row, drawn as one background a row: up to three a
        line, centred in the day's column. One image a row, where one a day (or one element a
        box) cost a tenth of a handout's time; and one cell for the week's days, under the
        days' headings, as an empty cell a day cost as much again."""
        rules = []
        for number, row in enumerate(self.tracker_rows, 1):
            lines = max(((n + 2) // 3 for n in row.counts), default=0)
            if not lines:
                continue
            # in tenths of a millimetre
            width, height = TRACKER_WIDTH[self.config.pdf.page_size] * 10, lines * TICK * 10
            column = (100 - TRACKER_FIRST) / 100 * width / len(row.counts)
            path = []
            for day, count in enumerate(row.counts):
                middle = TRACKER_FIRST / 100 * width + (day + 0.5) * column
                across, down = min(count, 3), (count + 2) // 3
                for box in range(count):
                    x = middle + (box % 3 - across / 2) * TICK * 10 + TICK_INSET
                    y = height / 2 + (box // 3 - down / 2) * TICK * 10 + TICK_INSET
                    path.append(f"M{x:.1f} {y:.1f}{TICK_PATH}")
            svg = (
                "<svg xmlns='http://www.w3.org/2000/svg' preserveAspectRatio='none' "
                f"viewBox='0 0 {width:.0f} {height:.0f}'><path d='{''.join(path)}' fill='none' "
                "stroke='#1d2321' stroke-width='4'/></svg>"
            )
            rules.append(
                f".tracker-row-{number} {{ background: no-repeat 0 50% / 100% {lines * TICK:.1f}mm"
                f' url("data:image/svg+xml,{quote(svg)}"); }}'
                f" .tracker-row-{number} td.days {{ height: {lines * TICK:.1f}mm; }}"
            )
        return Markup("\n".join(rules))  # numbers only, and the image percent-encoded

    def dose_for(self, exercise: Exercise) -> PlannedDose:
        return self.visit.steps[exercise.id].dose

    def values(self, medium: str, **page: Any) -> dict[str, Any]:
        library = self.library
        current = next((p for p in library.phases if p.number == self.plan.phase), None)
        return {
            "medium": medium,
            "assets": self.assets,
            "static": STATIC.resolve().as_uri() + "/",
            "clinic": self.config.clinic,
            "logo": self._logo(medium),
            "page_size": self.config.pdf.page_size,
            "pdf_layout": self.config.pdf.layout,
            "person": self.person,
            "plan": self.plan,
            "assessment": self.assessment,
            "phase": current,
            "library": library,
            "vocabulary": library.vocabulary,
            "blocks": {block.id: block for block in library.blocks},
            "found": [
                text
                for finding in dict.fromkeys(f.id for f in self.assessment.signature.findings)
                if (text := library.vocabulary.findings[finding].patient)
            ],
            "goals": self.assessment.goals,
            "education": self.education,
            "flare_up": library.education.get(FLARE_UP_PAGE),
            "red_flag_page": library.education.get(RED_FLAG_PAGE),
            "links": self.links,
            "sessions_by_id": {session.id: session for session in self.plan.sessions},
            "next_step": self.next_step,
            "step_back": self.step_back,
            "day_names": self.words.day_names(),
            "link": self.link,
            "story": self.story,
            "handout_file": handout_file(self.assessment.date, self.story.current),
            "changes": self.story.changes,
            "has_progress": self.has_progress,
            "criteria_met": criteria_met,
            "mcid": self.config.mcid,
            "chart_svg": self.chart_svg,
            "chart_rows": self.chart_rows,
            "figure_svg": self.figure_svg if medium == "web" else self.figure_img,
            "card_columns": self.card_columns,
            "card_stops": self.card_stops,
            "own_stops": self.own_stops,
            "key_cue": self.key_cue,
            "shares_stops": self.shares_stops,
            "rule_stops": self.rule_stops,
            "tracker_css": self.tracker_css,
            "tracker_rows": self.tracker_rows if medium == "print" else [],
            "program_extras": self.program_extras,
            "long_day": medium == "print" and self.long_day,
            "figure_moves": figure_moves,
            "qr_code": qr_code(self.link) if self.link and medium == "print" else None,
            **page,
        }

    def _translated(self, labels: Any) -> Any:
        return translated(self.words, labels)

    def _chart_words(self) -> dict[str, Any]:
        return {
            "labels": self._translated(ChartLabels),
            "format_date": lambda day: format_date(day, "medium", locale=self.words.locale),
            "format_value": lambda value: self.words.number(round(value, 1)),
        }

    def chart_svg(self, medium: str) -> Markup:
        """The progress chart, vector in the PDF as on screen; the numbers are in chart_rows."""
        svg = progress_chart(
            self.story.points,
            title=self.words.gettext("Your measures over time"),
            accent=self.config.clinic.accent,
            id_prefix=f"progress-{medium}",
            **self._chart_words(),
        )
        return Markup(svg)  # built from escaped parts by chart.py

    def figure_svg(self, exercise: Exercise) -> Markup | None:
        """The exercise's figure, vector in the PDF as on screen; None if it has none. Its
        ids start fig-<exercise>: an exercise is drawn once on a page."""
        figure = exercise.meta.figure
        if figure is None:
            return None
        labels = self._translated(FigureLabels)
        return Markup(drawn(figure, figure_id(exercise), labels, self.config.clinic.accent))

    def figure_img(self, exercise: Exercise) -> Markup | None:
        """The figure for paper: the same SVG as an image, its alt text the figure's. The
        layout engine styles and lays out an image as one box, where inline SVG is some
        three hundred elements; and one image placed twice is read once."""
        figure = exercise.meta.figure
        if figure is None:
            return None
        labels = self._translated(FigureLabels)
        svg = drawn(figure, figure_id(exercise), labels, self.config.clinic.accent, flat=True)
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return Markup(
            '<img class="figure-svg" src="data:image/svg+xml;base64,{}" alt="{}">'
        ).format(Markup(data), figure.alt)

    def chart_rows(self) -> list[tuple[str, str, str, str]]:
        return progress_rows(self.story.points, **self._chart_words())

    @property
    def has_progress(self) -> bool:
        """A progress page is worth having once there is a measure or an earlier booklet."""
        points = self.story.points
        measured = any(
            p.nprs is not None or p.odi is not None or p.psfs is not None for p in points
        )
        return measured or bool(self.story.earlier) or self.story.changes is not None

    def _logo(self, medium: str) -> str | None:
        logo = self.config.clinic.logo
        if not logo:
            return None
        return self.assets + published_logo(logo) if medium == "web" else logo

    def render(self, template: str, medium: str, here: str = "", **page: Any) -> str:
        return self.env.get_template(template).render(self.values(medium, here=here, **page))


HANDOUT = "handout.pdf"


def handout_file(date: object, current: bool = True) -> str:
    """The handout's file name beside the web booklet: an earlier booklet links to its own."""
    return HANDOUT if current else f"{date}-{HANDOUT}"


def render_booklet(
    project_root: Path | None,
    config: Config,
    library: Library,
    profile: Profile,
    assets: str = "../../assets/",
    link: str | None = None,
    earlier_handouts: Collection[str] = (),
) -> Booklet:
    """All of a patient's web pages and the handout's HTML, from the latest assessment, and
    the booklet of every earlier assessment beside them (`<date>-index.html`...), linked from
    the current one. `link` is the patient's private URL, printed as a QR code on the handout;
    `earlier_handouts` the dates of earlier handouts wanted too (those not yet kept)."""
    equipment = config.defaults.equipment
    history = [
        profile.model_copy(update={"assessments": profile.assessments[: i + 1]})
        for i in range(len(profile.assessments))
    ]
    library = with_load_limit(library, profile)
    visits = plan_course(profile, library, equipment, config.budget)  # each continues the last
    shown = library.in_language(booklet_language(profile, config, library))
    english, library = library, shown if shown is library else with_load_limit(shown, profile)
    visits = tuple(in_words(visit, english, library) for visit in visits)
    plans = [visit.plan for visit in visits]
    points = tuple(
        Point(a.date, a.measures.nprs, a.measures.odi, psfs_mean(a)) for a in profile.assessments
    )
    prefixes = [f"{a.date}-" for a in profile.assessments[:-1]]
    pages: dict[str, str] = {}
    handouts: dict[str, str] = {}
    current = len(history) - 1
    # A patient told to stop and get checked gets no way back to earlier exercise booklets.
    blocked = plans[current].blocked
    for i, upto in enumerate(history):
        changes = None
        if i > 0:
            before, after = profile.assessments[i - 1], profile.assessments[i]
            changes = compare(before, after, visits[i], config.mcid)
        story = Story(
            changes,
            points[: i + 1],
            earlier=tuple(
                (str(profile.assessments[j].date), prefixes[j] + "index.html")
                for j in reversed(range(current))
            )
            if i == current and not blocked
            else (),
            current=i == current,
        )
        context = Context(project_root, config, library, upto, visits[i], assets, link, story)
        one = _render_pages(context, library, plans[i]) if i == current or not blocked else {}
        date = str(upto.latest.date)
        if i == current:
            pages.update(one)
            language, handout = context.language, context.render("handout.html", "print")
        else:
            if date in earlier_handouts:
                handouts[date] = context.render("handout.html", "print")
            pages.update(rename_pages(one, {name: prefixes[i] + name for name in one}))
    return Booklet(
        profile=profile.id,
        assessment_date=plans[current].assessment_date,
        language=language,
        pages=pages,
        handout=handout,
        earlier_handouts=handouts,
    )


def _render_pages(context: Context, library: Library, plan: Plan) -> dict[str, str]:
    """One assessment's web pages."""
    pages: dict[str, str] = {}

    def page(name: str, template: str, **values: Any) -> None:
        pages[name] = context.render(template, "web", here=name, **values)

    if plan.blocked:
        page("index.html", "urgent.html")
    else:
        page("index.html", "overview.html")
        page("plan.html", "phases.html")
        if context.has_progress:
            page("progress.html", "progress.html")
        for session in plan.sessions:
            page(Links.session(session), "session.html", session=session)
        planned = {p.id: p for s in plan.sessions for p in s.exercises}
        for exercise_id in sorted(context.links.exercises):
            exercise = library.exercises[exercise_id]
            chosen = planned.get(exercise_id)
            page(
                f"exercise-{exercise_id}.html",
                "exercise.html",
                exercise=exercise,
                planned=chosen,
                dose=chosen.dose if chosen else context.dose_for(exercise),
            )
        page("learn.html", "learn.html")
    for article in context.education:
        if not plan.blocked or article.id == RED_FLAG_PAGE:
            page(Links.learn(article), "article.html", article=article)
    return pages


PAGE_LINK = re.compile(r'href="([\w.-]+\.(?:html|pdf))(#[^"]*)?"')  # a page or a handout


def rename_pages(pages: Mapping[str, str], names: Mapping[str, str]) -> dict[str, str]:
    """Pages under new file names, their links to each other following: an earlier booklet
    beside the current one, or a private booklet under opaque names. A link written
    `./index.html` is left alone: it leads out of an earlier booklet to the current one."""

    def relink(match: re.Match[str]) -> str:
        return f'href="{names.get(match[1], match[1])}{match[2] or ""}"'

    return {names.get(name, name): PAGE_LINK.sub(relink, html) for name, html in pages.items()}


def render_sealed_page(
    project_root: Path | None,
    config: Config,
    language: str,
    name: str,
    sealed: str,
    wrapped: str | None,
) -> str:
    """The loader that stands in for one page of a private booklet: kind words for whoever
    arrives without the key, and the page itself, sealed, for unlock.js to open."""
    env = environment(project_root, language)
    return env.get_template("locked.html").render(
        clinic=config.clinic, assets="../../assets/", page=name, sealed=sealed, wrapped=wrapped
    )


def figure_id(exercise: Exercise) -> str:
    form = exercise.figure_form
    return f"fig-{exercise.id}--{form}" if form else f"fig-{exercise.id}"  # "--": no id has it


_DRAWN: dict[tuple[str, str, FigureLabels, str, bool], str] = {}
_SVG = "{http://www.w3.org/2000/svg}"
_TRANSFORM = re.compile(r"(translate|rotate)\(([-\d.]+)(?:,([-\d.]+))?\)")
Affine = tuple[float, float, float, float, float, float]


def _then(m: Affine, transform: str) -> Affine:
    """m followed by an SVG transform list of translate() and rotate()."""
    for kind, first, second in _TRANSFORM.findall(transform):
        a, b, c, d, e, f = m
        if kind == "translate":
            x, y = float(first), float(second or 0)
            m = (a, b, c, d, a * x + c * y + e, b * x + d * y + f)
        else:
            cos, sin = math.cos(math.radians(float(first))), math.sin(math.radians(float(first)))
            m = (a * cos + c * sin, b * cos + d * sin, c * cos - a * sin, d * cos - b * sin, e, f)
    return m


def _at(m: Affine, x: float, y: float) -> tuple[str, str]:
    return _num(m[0] * x + m[2] * y + m[4]), _num(m[1] * x + m[3] * y + m[5])


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# A line's own attributes: lines that differ only in these can be one path of many strokes.
_LINE_ENDS = {"x1", "y1", "x2", "y2"}


def _strokes(elements: list[ElementTree.Element]) -> list[ElementTree.Element]:
    """Runs of lines drawn alike (colour, width, caps), one after another, as one path of
    separate strokes: each stroke is painted as its line was, in the same order, and on
    paper each element drawn costs as much as its strokes. The paper has no use for the web's
    groups (they name the joints the web turns), so their contents stand in their place."""
    out: list[ElementTree.Element] = []
    run: list[ElementTree.Element] = []

    def style(line: ElementTree.Element) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((k, v) for k, v in line.attrib.items() if k not in _LINE_ENDS))

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            d = " ".join(
                f"M{line.get('x1', '0')} {line.get('y1', '0')}L{line.get('x2', '0')} "
                f"{line.get('y2', '0')}"
                for line in run
            )
            out.append(ElementTree.Element(_SVG + "path", {"d": d, **dict(style(run[0]))}))
        run.clear()

    for element in elements:
        unwrapped = element.tag == _SVG + "g" and set(element.attrib) <= {"class"}
        for child in _strokes(list(element)) if unwrapped else [element]:
            if child.tag == _SVG + "line" and not len(child):
                if run and style(run[0]) != style(child):
                    flush()
                run.append(child)
            else:
                flush()
                out.append(child)
    flush()
    return out


def flat_svg(svg: str) -> str:
    """The figure with its nested groups (one per joint, so the web can turn each) folded
    into absolute coordinates, and its lines into strokes of a few paths: drawing it on
    paper then costs a path a colour, not a transform a joint and an element a limb. Drawn
    the same."""
    ElementTree.register_namespace("", _SVG[1:-1])
    root = ElementTree.fromstring(svg)

    def fold(parent: ElementTree.Element, m: Affine) -> list[ElementTree.Element]:
        kept: list[ElementTree.Element] = []
        for child in list(parent):
            here = _then(m, child.attrib.pop("transform", ""))
            if child.tag == _SVG + "g" and not child.get("class"):
                kept += fold(child, here)
                continue
            if child.tag == _SVG + "line":
                for end in ("1", "2"):
                    x, y = float(child.get("x" + end, 0)), float(child.get("y" + end, 0))
                    child.set("x" + end, _at(here, x, y)[0])
                    child.set("y" + end, _at(here, x, y)[1])
            elif child.tag == _SVG + "circle":
                cx, cy = _at(here, float(child.get("cx", 0)), float(child.get("cy", 0)))
                child.set("cx", cx)
                child.set("cy", cy)
            elif child.tag == _SVG + "g":
                child[:] = fold(child, here)
            elif here != (1, 0, 0, 1, 0, 0):
                child.set("transform", "matrix({})".format(" ".join(_num(v) for v in here)))
            kept.append(child)
        return kept

    root[:] = _strokes(fold(root, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)))
    return ElementTree.tostring(root, encoding="unicode")


def drawn(
    figure: Figure, prefix: str, labels: FigureLabels, accent: str, flat: bool = False
) -> str:
    """figure_svg (flat_svg for paper), once per process for each figure: a build draws the
    same few dozen figures for every patient, on the web pages and on paper."""
    key = (figure.model_dump_json(), prefix, labels, accent, flat)
    if key not in _DRAWN:
        if len(_DRAWN) > 2000:  # a long-lived process (serve, the tests) edits figures
            _DRAWN.clear()
        svg = figure_svg(figure, prefix, labels=labels, accent=accent)
        _DRAWN[key] = flat_svg(svg) if flat else svg
    return _DRAWN[key]


def figure_motion(library: Library | None) -> str:
    """The stylesheet rules that move every figure of the library on the web (the site's
    CSP allows no style attributes, so each joint's angles live in the stylesheet)."""
    if library is None:
        return ""
    return "".join(
        animation_css(form.meta.figure, figure_id(form))
        for exercise in library.exercises.values()
        for form in exercise.figure_forms()
        if form.meta.figure is not None
    )


def render_site_index(
    project_root: Path | None, config: Config, library: Library | None = None
) -> dict[str, str]:
    """The site's own files: an index that names nobody, robots.txt, and the stylesheet,
    with the moves of the library's figures."""
    env = environment(project_root, config.defaults.language)
    values = {"clinic": config.clinic, "assets": "assets/", "medium": "web", "logo": None}

    def render(name: str, values: Mapping[str, Any]) -> str:
        try:
            return env.get_template(name).render(values)
        except Exception as error:  # a template can raise anything: {{ 1/0 }}
            path, line = template_position(error) or (_template_file(project_root, name), 0)
            raise ProjectError([Problem(path, line, "", render_error(error))]) from None

    return {
        "index.html": render("site-index.html", values),
        "robots.txt": "User-agent: *\nDisallow: /\n",
        "_headers": "".join(f"{line}\n" for line in ["/*", *(f"  {h}: {v}" for h, v in HEADERS)]),
        "assets/booklet.css": render(
            "booklet.css",
            {"clinic": config.clinic, "fonts": "fonts/", "figure_motion": figure_motion(library)},
        ),
    }


def render_gallery(project_root: Path | None, config: Config, library: Library) -> str:
    """One page with every exercise's figure beside its title, moving as on the web, for the
    clinic to check its library at a glance (`movebook figures`)."""
    language = shown_language(config.defaults.language, library)
    library = library.in_language(language)
    env = environment(project_root, language)
    labels = translated(env.globals["words"], FigureLabels)  # type: ignore[arg-type]

    def figure(exercise: Exercise) -> Markup | None:
        if exercise.meta.figure is None:
            return None
        svg = figure_svg(
            exercise.meta.figure, figure_id(exercise), labels=labels, accent=config.clinic.accent
        )
        return Markup(svg)  # built from escaped parts by figure.py

    order = [block.id for block in library.blocks]
    exercises = sorted(
        library.exercises.values(), key=lambda e: (order.index(e.meta.block), e.meta.title)
    )
    return env.get_template("gallery.html").render(
        language=language,
        clinic=config.clinic,
        fonts=STATIC.resolve().as_uri() + "/fonts/",
        figure_motion=figure_motion(library),
        figure_svg=figure,
        figure_moves=figure_moves,
        blocks={block.id: block for block in library.blocks},
        exercises=exercises,
    )


def site_assets(config: Config, project_root: Path | None) -> dict[str, Path]:
    """Static files the site serves as they are: fonts, and the clinic's logo."""
    files = {f"assets/fonts/{font.name}": font for font in sorted(FONTS.iterdir())}
    files["assets/unlock.js"] = STATIC / "unlock.js"
    if config.clinic.logo and project_root is not None:
        files["assets/" + published_logo(config.clinic.logo)] = project_root / config.clinic.logo
    return files


def published_logo(logo: str) -> str:
    """The logo's file name on the site, whatever it is called in the project."""
    return "logo" + Path(logo).suffix.lower()


def qr_code(url: str) -> str:
    """The link as a QR code: an SVG data URI, so it stays vector in the PDF. Error correction
    M survives a crease or a coffee ring; the quiet zone is the standard four modules."""
    import segno

    code = segno.make(url, error="m", micro=False)
    return str(code.svg_data_uri(dark="#000", light="#fff", border=4))


# --- the PDF -------------------------------------------------------------------


class UnsafeResource(Exception):
    """The handout asked for something that is not one of the project's own assets."""


# The handout template gives the rule for every exercise twice: as the end of page 1, and as
# a line there with the box at the top of page 2, for a day too long to leave it room.
_RULE = re.compile(r"<!--rule:(1|line|2)-->(.*?)<!--/rule:\1-->", re.DOTALL)
_PROGRAM_END = "<!--/program-->"


def _rule_at(html: str, *kept: str) -> str:
    """The handout with only the `kept` places of the rule."""
    return _RULE.sub(lambda m: m[2] if m[1] in kept else "", html)


def asset_fetcher(allowed: list[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves only the given files and folders, and data: URLs.

    WeasyPrint's default fetcher follows file:// and http(s):// anywhere, so a note could
    otherwise pull /etc/passwd or a tracking pixel into a handout."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [path.resolve() for path in allowed]

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise UnsafeResource(f"refused {url!r}: not a project asset")
            path = Path(unquote(parts.path)).resolve()
            if not any(path == root or path.is_relative_to(root) for root in roots):
                raise UnsafeResource(f"refused {url!r}: outside the project's assets")
            if not path.is_file():
                raise UnsafeResource(f"refused {url!r}: no such file")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})

    return AssetFetcher()


def _keep_safe_links(root: Any) -> None:
    """Links in the PDF lead only to its own pages (#id) or where Markdown may link: any other
    href would be resolved against the project folder into a file:// link."""
    for element in root.iter():
        href = element.get("href") if element.tag == "a" else None
        internal = href is not None and len(href) > 1 and href.startswith("#")
        if href is not None and not internal and allowed_link(href) is None:
            del element.attrib["href"]


@contextmanager
def _quiet_weasyprint() -> Iterator[None]:
    """Keep WeasyPrint's warnings (a refused URL, an unsupported CSS property) off the
    terminal, where they would interleave with the progress bar."""
    logger = logging.getLogger("weasyprint")
    saved = logger.propagate, logger.level
    logger.propagate, logger.level = False, logging.ERROR
    try:
        yield
    finally:
        logger.propagate, logger.level = saved


_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@functools.cache
def _font_config() -> Any:
    """One font configuration a process: each web font is decoded and registered once, not
    once a handout."""
    from weasyprint.text.fonts import FontConfiguration

    # Let it go while the interpreter still has the libraries its __del__ calls: at exit a
    # cached one would print an ignored TypeError.
    atexit.register(_forget_fonts)
    return FontConfiguration()


def _forget_fonts() -> None:
    _stylesheet.cache_clear()
    _font_config.cache_clear()


@functools.lru_cache(maxsize=8)
def _stylesheet(css: str, base_url: str, allowed: tuple[Path, ...]) -> Any:
    """The handout's stylesheet, parsed once a process: every handout of a clinic has the
    same one."""
    from weasyprint import CSS

    fetcher = asset_fetcher(list(allowed))
    return CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=_font_config())


def render_pdf(
    booklet: Booklet, config: Config, project_root: Path | None, handout: str | None = None
) -> bytes:
    """The handout (or an earlier one's HTML) as a tagged PDF/UA document, byte-identical for
    the same input."""
    from weasyprint import HTML

    allowed = [STATIC]
    if config.clinic.logo and project_root is not None:
        allowed.append(project_root / config.clinic.logo)
    base_url = (project_root if project_root is not None else STATIC).resolve().as_uri() + "/"
    html = booklet.handout if handout is None else handout
    style = _STYLE.search(html)
    sheets = []
    with _quiet_weasyprint():
        if style is not None:  # the first stylesheet, the theme's, is parsed once
            sheets.append(_stylesheet(style[1], base_url, tuple(allowed)))
            html = html[: style.start()] + html[style.end() :]
        fetcher = asset_fetcher(allowed)
        if "<!--rule:1-->" in html:  # the rule for every exercise: on page 1, if it fits
            end = html.index(_PROGRAM_END)
            alone = HTML(string=_rule_at(html[:end], "1") + "</body></html>", base_url=base_url,
                         url_fetcher=fetcher)  # fmt: skip
            fits = len(alone.render(stylesheets=sheets, font_config=_font_config()).pages) == 1
            html = _rule_at(html, "1") if fits else _rule_at(html, "line", "2")
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        _keep_safe_links(document.etree_element)
        # No file identifier: PDF/UA asks for none, and pydyf makes one by serialising every
        # object a second time to hash it (7% of a handout's time).
        pdf = document.write_pdf(
            stylesheets=sheets,
            font_config=_font_config(),
            pdf_variant="pdf/ua-1",
            custom_metadata=True,
        )
    return bytes(pdf)
