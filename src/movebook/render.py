"""Stage 4, render: a plan into web booklet pages and a PDF handout, from Jinja templates."""

from __future__ import annotations

import functools
import logging
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import unquote, urlsplit

import jinja2
import markdown
import nh3
from markupsafe import Markup

from movebook.errors import Problem, ProjectError
from movebook.model import Assessment, Config, EducationPage, Exercise, Library, Profile
from movebook.plan import (
    Patient,
    Plan,
    PlannedDose,
    Session,
    build_plan,
    patient_of,
    plan_dose,
    why_not,
)
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
ALLOWED_SCHEMES = {"https", "mailto", "tel"}

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


def markdown_html(text: str, shift: int = 0) -> Markup:
    """Markdown to HTML through an allow-list sanitizer: raw HTML can't smuggle in anything."""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    for level in range(4, 0, -1) if shift else ():
        html = html.replace(f"<h{level}", f"<h{min(6, level + shift)}")
        html = html.replace(f"</h{level}>", f"</h{min(6, level + shift)}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # sanitized just above


# --- templates ---------------------------------------------------------------


@functools.cache
def environment(project_root: Path | None, language: str) -> jinja2.Environment:
    """The project's templates first, then movebook's, also reachable as `movebook/<name>`
    so that a clinic's template can extend the one it replaces."""
    package = jinja2.FileSystemLoader(PACKAGE_TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if project_root is not None and (project_root / PROJECT_TEMPLATES).is_dir():
        loaders.append(jinja2.FileSystemLoader(project_root / PROJECT_TEMPLATES))
    loaders += [jinja2.PrefixLoader({"movebook": package}), package]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "svg", "xml"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    words = Words(language)
    env.install_gettext_translations(words.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = markdown_html
    env.globals["words"] = words
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    return env


def template_position(error: BaseException) -> str:
    """`templates/overview.html:12` for the innermost template frame of an error."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return f"{_shown(error.filename)}:{error.lineno}"
    frame = error.__traceback__
    where = "templates"
    while frame is not None:
        name = frame.tb_frame.f_code.co_filename
        if name.endswith((".html", ".css", ".svg", ".xml")):
            where = f"{_shown(name)}:{frame.tb_lineno}"
        frame = frame.tb_next
    return where


def _shown(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(PACKAGE_TEMPLATES):
        return f"movebook/{path.relative_to(PACKAGE_TEMPLATES)}"
    return f"{PROJECT_TEMPLATES}/{path.name}" if path.is_absolute() else filename


def check_templates(project_root: Path | None) -> None:
    """Compile every template once, so a typo stops the build before anything is written."""
    env = environment(project_root, "en")
    problems = []
    for name in env.list_templates(filter_func=lambda n: not n.startswith("movebook/")):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(
                Problem(_shown(error.filename or name), error.lineno, "", error.message or "")
            )
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
    pages: Mapping[str, str]  # file name in the patient's folder -> HTML
    handout: str  # the HTML the PDF is made from


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


class Context:
    """The template context shared by every page of one patient's booklet."""

    def __init__(self, project_root: Path | None, config: Config, library: Library,
                 profile: Profile, plan: Plan, assets: str,
                 link: str | None) -> None:  # fmt: skip
        self.config = config
        self.link = link  # the patient's private URL, key included: for the handout's QR code
        self.library = library
        self.profile = profile
        self.plan = plan
        self.assessment: Assessment = profile.latest
        self.patient: Patient = patient_of(profile, library, config.defaults.equipment)
        self.language = profile.language or config.defaults.language
        if not has_catalogue(self.language):
            self.language = "en"
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
        self.links = Links()
        # Pages for every planned exercise, and for its next step and step back where allowed.
        for session in plan.sessions:
            for planned in session.exercises:
                steps = (self.next_step(planned.exercise), self.step_back(planned.exercise))
                self.links.exercises.add(planned.id)
                self.links.exercises.update(step.id for step in steps if step is not None)

    def _suits(self, exercise: Exercise, *, later: bool) -> bool:
        phases = [p for p in exercise.meta.phases if p >= self.patient.phase or not later]
        return any(not why_not(exercise, self.patient, self.library, p) for p in phases)

    def _step(self, exercise_id: str | None, *, later: bool) -> Exercise | None:
        exercise = self.library.exercises.get(exercise_id) if exercise_id else None
        return exercise if exercise and self._suits(exercise, later=later) else None

    def next_step(self, exercise: Exercise) -> Exercise | None:
        return self._step(exercise.meta.progresses_to, later=True)

    def step_back(self, exercise: Exercise) -> Exercise | None:
        return self._step(exercise.meta.regresses_to, later=False)

    def dose_for(self, exercise: Exercise) -> PlannedDose:
        return plan_dose(exercise, self.patient)

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
            "person": self.person,
            "plan": self.plan,
            "assessment": self.assessment,
            "phase": current,
            "library": library,
            "vocabulary": library.vocabulary,
            "blocks": {block.id: block for block in library.blocks},
            "found": [
                text
                for finding in self.patient.findings
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
            "qr_code": qr_code(self.link) if self.link and medium == "print" else None,
            **page,
        }

    def _logo(self, medium: str) -> str | None:
        logo = self.config.clinic.logo
        if not logo:
            return None
        return self.assets + "logo" + Path(logo).suffix if medium == "web" else logo

    def render(self, template: str, medium: str, here: str = "", **page: Any) -> str:
        return self.env.get_template(template).render(self.values(medium, here=here, **page))


def render_booklet(
    project_root: Path | None,
    config: Config,
    library: Library,
    profile: Profile,
    assets: str = "../../assets/",
    link: str | None = None,
) -> Booklet:
    """All of a patient's web pages and the handout's HTML, from the latest assessment.
    `link` is the patient's private URL, printed as a QR code on the handout."""
    plan = build_plan(profile, library, config.defaults.equipment)
    context = Context(project_root, config, library, profile, plan, assets, link)
    pages: dict[str, str] = {}

    def page(name: str, template: str, **values: Any) -> None:
        pages[name] = context.render(template, "web", here=name, **values)

    if plan.blocked:
        page("index.html", "urgent.html")
    else:
        page("index.html", "overview.html")
        page("plan.html", "phases.html")
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
    handout = context.render("handout.html", "print")
    return Booklet(
        profile=profile.id,
        assessment_date=plan.assessment_date,
        language=context.language,
        pages=pages,
        handout=handout,
    )


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


def render_site_index(project_root: Path | None, config: Config) -> dict[str, str]:
    """The site's own files: an index that names nobody, robots.txt, and the stylesheet."""
    env = environment(project_root, config.defaults.language)
    values = {"clinic": config.clinic, "assets": "assets/", "medium": "web", "logo": None}
    return {
        "index.html": env.get_template("site-index.html").render(values),
        "robots.txt": "User-agent: *\nDisallow: /\n",
        "_headers": "".join(f"{line}\n" for line in ["/*", *(f"  {h}: {v}" for h, v in HEADERS)]),
        "assets/booklet.css": env.get_template("booklet.css").render(
            clinic=config.clinic, fonts="fonts/"
        ),
    }


def site_assets(config: Config, project_root: Path | None) -> dict[str, Path]:
    """Static files the site serves as they are: fonts, and the clinic's logo."""
    files = {f"assets/fonts/{font.name}": font for font in sorted(FONTS.iterdir())}
    files["assets/unlock.js"] = STATIC / "unlock.js"
    if config.clinic.logo and project_root is not None:
        files["assets/logo" + Path(config.clinic.logo).suffix] = project_root / config.clinic.logo
    return files


def qr_code(url: str) -> str:
    """The link as a QR code: an SVG data URI, so it stays vector in the PDF. Error correction
    M survives a crease or a coffee ring; the quiet zone is the standard four modules."""
    import segno

    code = segno.make(url, error="m", micro=False)
    return str(code.svg_data_uri(dark="#000", light="#fff", border=4))


# --- the PDF -------------------------------------------------------------------


PDF_IDENTIFIER = b"movebook-handout"


class UnsafeResource(Exception):
    """The handout asked for something that is not one of the project's own assets."""


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


def render_pdf(booklet: Booklet, config: Config, project_root: Path | None) -> bytes:
    """The handout as a tagged PDF/UA document, byte-identical for the same input."""
    from weasyprint import HTML

    allowed = [STATIC]
    if config.clinic.logo and project_root is not None:
        allowed.append(project_root / config.clinic.logo)
    base = project_root if project_root is not None else STATIC
    with _quiet_weasyprint():
        document = HTML(
            string=booklet.handout,
            base_url=base.resolve().as_uri() + "/",
            url_fetcher=asset_fetcher(allowed),
        )
        pdf = document.write_pdf(
            pdf_variant="pdf/ua-1",
            pdf_identifier=PDF_IDENTIFIER,
            custom_metadata=True,
        )
    return bytes(pdf)
