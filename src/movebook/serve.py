"""`movebook serve`: a local live preview of output/site that rebuilds what changed.

Stdlib only: a ThreadingHTTPServer bound to 127.0.0.1 serves output/site, and a polling watcher
rebuilds one patient when their profile is saved, everyone when anything else changes. Every
HTML response (never the file on disk) loads /_movebook/live.js, which reloads the page when a
rebuild finishes. A failed build shows its problems in the page, never the stale booklet.
Requests are never logged: the paths name patients' booklets.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
import socketserver
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from movebook import publish
from movebook.errors import ProjectError, os_problem
from movebook.load import CONFIG_FILE, PROFILES_DIR, is_scratch, load_project_sources
from movebook.publish import BuildResult
from movebook.render import PROJECT_TEMPLATES
from movebook.site import SecretError, SiteSecret, created_message, private_url, site_secret
from movebook.validate import validate_project

HOST = "127.0.0.1"  # the preview shows patients' booklets: never reachable from the network
DEFAULT_PORT = 8000
INTERVAL = 0.5  # seconds between looks at the project's files
CONTENT_DIR = "content"
PREFIX = "/_movebook/"  # the preview's own files; output/site never has a _movebook folder
LIVE_SCRIPT = "live.js"
STYLESHEET = "preview.css"
STATE = "state"

Message = Callable[[str, bool], None]  # (text, is_error)
Snapshot = dict[str, tuple[int, int, int]]  # project-relative path -> (mtime_ns, size, inode)

# Polls the state every second; reloads (keeping #k=..., so a sealed page opens again) when the
# build generation differs from the one this page was served with. The polling survives
# unlock.js swapping the document for the decrypted booklet: the script context stays.
LIVE_JS = """\
// movebook serve: reload this page when the preview has rebuilt the booklet.
(function () {
  "use strict";
  var script = document.currentScript;
  var match = script && /[?&]generation=(\\d+)/.exec(script.src);
  var seen = match ? Number(match[1]) : null;
  function check() {
    fetch("/_movebook/state", { cache: "no-store", credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (seen === null) seen = state.generation;
        if (state.generation !== seen) {
          location.reload();
          return;
        }
        setTimeout(check, 1000);
      })
      .catch(function () { setTimeout(check, 1000); });
  }
  setTimeout(check, 1000);
})();
"""

PREVIEW_CSS = """\
body { margin: 0; background: #fbfaf7; color: #1f2a28;
  font: 1.0625rem/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
.movebook-problem { max-width: 46rem; margin: 3rem auto; padding: 0 1.25rem; }
.movebook-problem h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1rem; }
.movebook-problem ul { padding: 0; list-style: none; }
.movebook-problem li { margin: 0 0 0.75rem; padding: 0.75rem 1rem; background: #fff;
  border: 1px solid #d9cfc0; border-left: 0.3rem solid #b3261e; border-radius: 0.3rem; }
.movebook-problem code { font: 0.95rem/1.5 ui-monospace, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; white-space: pre-wrap; }
.movebook-problem .note { color: #4d5a57; font-size: 0.95rem; }
"""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "form-action 'none'; base-uri 'none'"
)

PROBLEM_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>Could not rebuild · movebook preview</title>
<link rel="stylesheet" href="{prefix}{stylesheet}">
</head>
<body>
<main class="movebook-problem">
<h1>The booklet could not be rebuilt</h1>
<p role="alert">The booklet could not be rebuilt: {what}</p>
<ul>
{items}
</ul>
<p>Fix {it} and save the file. This page reloads by itself once the booklet builds again.</p>
<p class="note">Only you can see this page: it comes from the preview on this computer.</p>
</main>
</body>
</html>
"""

NOT_FOUND_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>Not found · movebook preview</title>
<link rel="stylesheet" href="{prefix}{stylesheet}">
</head>
<body>
<main class="movebook-problem">
<h1>Nothing here</h1>
<p>The preview has no page at this address. If this was a patient's booklet, their profile may
have been renamed or removed.</p>
</main>
</body>
</html>
"""

HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)


def problem_page(problems: Sequence[str], patient: bool) -> str:
    """A kind, clear page listing what stopped the build, each problem escaped."""
    count = len(problems)
    found = "a problem" if count == 1 else f"{count} problems"
    where = "while building this patient's booklet" if patient else "in the project's files"
    what = f"movebook found {found} {where}."
    items = "\n".join(
        f"<li><code>{html.escape(line, quote=False)}</code></li>" for line in problems
    )
    return PROBLEM_PAGE.format(
        csp=html.escape(CSP),
        prefix=PREFIX,
        stylesheet=STYLESHEET,
        what=html.escape(what, quote=False),
        items=items,
        it="it" if count == 1 else "them",
    )


def with_live_reload(page: bytes, generation: int) -> bytes:
    """The page with the live-reload script in its head (only in the response, never on disk)."""
    tag = f'<script src="{PREFIX}{LIVE_SCRIPT}?generation={generation}"></script>\n'.encode()
    match = HEAD_END.search(page)
    at = match.start() if match else len(page)
    return page[:at] + tag + page[at:]


def snapshot(root: Path) -> Snapshot:
    """What a rebuild depends on: the settings, the profiles, the library, the templates."""
    paths = [root / CONFIG_FILE, *(root / PROFILES_DIR).glob("*.yaml")]
    for folder in (CONTENT_DIR, PROJECT_TEMPLATES):
        paths += (root / folder).rglob("*")
    found: Snapshot = {}
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if is_scratch(rel):
            continue
        try:
            info = path.stat()
        except OSError:  # removed while we looked
            continue
        if stat.S_ISREG(info.st_mode):
            found[rel] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return found


def _profile_id(rel: str) -> str | None:
    folder, _, name = rel.partition("/")
    return name.removesuffix(".yaml") if folder == PROFILES_DIR and name.endswith(".yaml") else None


def changed_profiles(before: Snapshot, after: Snapshot) -> list[str] | None:
    """The profiles to rebuild: [] when nothing changed, None when everyone must be rebuilt
    (a library, template or settings change, or a profile removed)."""
    changed = sorted(
        rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)
    )
    profiles = []
    for rel in changed:
        profile = _profile_id(rel)
        if profile is None or rel not in after:
            return None
        profiles.append(profile)
    return profiles


@dataclass(frozen=True)
class State:
    """What the last build left: read by request threads, replaced whole by the builder."""

    generation: int = 0
    fatal: tuple[str, ...] = ()  # problems that stopped the whole build
    broken: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> problems
    slugs: frozenset[str] = frozenset()  # the booklets of today's profiles

    @property
    def errors(self) -> bool:
        return bool(self.fatal or self.broken)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full name; 127.0.0.1 needs no lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser hanging up mid-response is routine; print nothing about requests."""


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "movebook-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: request paths point at patients' booklets."""

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        preview = self.server.preview
        state = preview.state
        host = self.headers.get("Host")
        if host is not None and host.lower() not in preview.hosts:
            # Another site's page reaching this port through a DNS name it controls
            # (DNS rebinding): it may not read the preview.
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"", "text/plain", body)
            return
        path = urlsplit(self.path).path
        if path.startswith(PREFIX):
            self._own(path.removeprefix(PREFIX), state, body)
            return
        parts = _safe_parts(path)
        if parts is None:
            self._not_found(state, body)
            return
        target = preview.site.joinpath(*parts)
        if not parts or path.endswith("/"):
            target = target / "index.html"
        elif target.is_dir():  # add the slash, so the booklet's relative links work
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", body, path + "/")
            return
        if not _inside(target, preview.site):
            self._not_found(state, body)
            return
        patient = parts[1] if len(parts) > 1 and parts[0] == publish.PATIENTS_DIR else None
        if patient is not None and patient not in state.slugs and not state.fatal:
            self._not_found(state, body)
            return
        is_html = target.suffix == ".html"
        problems = state.fatal if (is_html or patient) else ()
        if not problems and patient is not None:
            problems = state.broken.get(patient, ())
        if problems:
            page = problem_page(problems, patient=not state.fatal).encode("utf-8")
            self._html(HTTPStatus.INTERNAL_SERVER_ERROR, page, state, body)
            return
        try:
            data = target.read_bytes()
        except OSError:
            self._not_found(state, body)
            return
        if is_html:
            self._html(HTTPStatus.OK, data, state, body)
        else:
            self._send(HTTPStatus.OK, data, _content_type(target), body)

    def _own(self, name: str, state: State, body: bool) -> None:
        if name == LIVE_SCRIPT:
            self._send(HTTPStatus.OK, LIVE_JS.encode(), "text/javascript", body)
        elif name == STYLESHEET:
            self._send(HTTPStatus.OK, PREVIEW_CSS.encode(), "text/css", body)
        elif name == STATE:
            data = json.dumps({"generation": state.generation, "errors": state.errors})
            self._send(HTTPStatus.OK, data.encode(), "application/json", body)
        else:
            self._not_found(state, body)

    def _not_found(self, state: State, body: bool) -> None:
        page = NOT_FOUND_PAGE.format(csp=html.escape(CSP), prefix=PREFIX, stylesheet=STYLESHEET)
        self._html(HTTPStatus.NOT_FOUND, page.encode("utf-8"), state, body)

    def _html(self, status: HTTPStatus, page: bytes, state: State, body: bool) -> None:
        self._send(status, with_live_reload(page, state.generation), "text/html", body)

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        kind: str,
        body: bool,
        location: str | None = None,
    ) -> None:
        self.send_response(status)
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        if body:
            self.wfile.write(data)


def _safe_parts(path: str) -> list[str] | None:
    """The path's segments below output/site, or None for anything that tries to climb out
    (`..`, encoded or not), reaches for a hidden file, or is not a plain path."""
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if not decoded.startswith("/") or any(c in decoded for c in "\0\\"):
        return None
    parts = [part for part in decoded.split("/") if part]
    if any(part.startswith(".") for part in parts):  # "..", ".", dotfiles, .staging- folders
        return None
    return parts


TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}


def _content_type(path: Path) -> str:
    return (
        TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


class Preview:
    """The preview of one project: build, serve output/site on 127.0.0.1, rebuild on change.

    `start()` builds everything and serves; `rebuild_if_changed()` does one look at the files
    (the watcher calls it every `interval` seconds; tests call it directly)."""

    def __init__(
        self,
        root: Path,
        port: int = DEFAULT_PORT,
        *,
        pdf: bool = False,
        jobs: int = 1,
        interval: float = INTERVAL,
        on_message: Message | None = None,
    ) -> None:
        self.root = root.resolve()
        self.site = self.root / publish.OUTPUT_DIR / publish.SITE_DIR
        self.requested_port = port
        self.pdf = pdf
        self.jobs = jobs
        self.interval = interval
        self.state = State()
        self._say: Message = on_message or (lambda text, error: None)
        self._server: PreviewServer | None = None
        self._serving: threading.Thread | None = None
        self._watching: threading.Thread | None = None
        self._stopping = threading.Event()
        self._building = threading.Lock()
        self._seen: Snapshot = {}
        self._secret: SiteSecret | None = None

    # --- serving -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the preview is not started")
        return self._server.server_port

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the preview is not started")
        host, port = self._server.socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def hosts(self) -> frozenset[str]:
        """The Host headers a browser on this computer sends to the preview."""
        return frozenset(f"{name}:{self.port}" for name in (HOST, "localhost"))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def bind(self) -> int:
        """Claim the port (raises OSError when it is taken) before the slow first build."""
        if self._server is None:
            self._server = PreviewServer((HOST, self.requested_port), Handler)
            self._server.preview = self
        return self.port

    def start(self, watch: bool = True) -> int:
        """Bind, build everything once, then serve (and watch, unless told not to) in the
        background. Returns the port. Raises SecretError when the site secret is unusable."""
        self._secret = site_secret(self.root)
        if self._secret.created:
            self._say(created_message(self._secret), True)
        self.bind()
        self._seen = snapshot(self.root)
        self._build(None, "")
        assert self._server is not None
        server = self._server
        self._serving = self._spawn(lambda: server.serve_forever(poll_interval=0.1))
        if watch:
            self._watching = self._spawn(self.watch)
        return self.port

    def _spawn(self, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name="movebook-preview", daemon=True)
        thread.start()
        return thread

    def watch(self) -> None:
        """Look for changes every `interval` seconds until stop()."""
        while not self._stopping.wait(self.interval):
            try:
                self.rebuild_if_changed()
            except OSError as error:  # a folder made read-only, a full disk: shown like any
                problem = os_problem(error, self.root)  # other problem, until the next save
                self._fail(self.state, (problem,), self._profile_files(), "")

    def stop(self) -> None:
        """Stop serving and watching; a build under way finishes first (its output is whole)."""
        self._stopping.set()
        if self._server is not None:
            if self._serving is not None:
                self._server.shutdown()
                self._serving.join()
            self._server.server_close()
        if self._watching is not None and self._watching is not threading.current_thread():
            self._watching.join()
        self._serving = self._watching = None

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- links -------------------------------------------------------------------------

    def links(self, profiles: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(profile id, preview link with its key) for each profile (or the named ones)."""
        secret = self._secret or site_secret(self.root)
        config = validate_project(load_project_sources(self.root))[0]
        private = config.site.private if config is not None else True
        names = profiles or sorted(self._profile_files())
        base = f"http://{HOST}:{self.port}/"
        return [
            (name, private_url(base, secret.slug(name), secret.page_key(name) if private else None))
            for name in names
        ]

    def _profile_files(self) -> set[str]:
        return {
            path.stem
            for path in (self.root / PROFILES_DIR).glob("*.yaml")
            if path.is_file() and not is_scratch(path.name)
        }

    # --- building ----------------------------------------------------------------------

    def rebuild_if_changed(self) -> bool:
        """Rebuild whatever changed since the last look; True if anything was rebuilt."""
        with self._building:
            now = snapshot(self.root)
            todo = changed_profiles(self._seen, now)
            if todo == []:
                return False
            changed = sorted(
                rel for rel in self._seen.keys() | now.keys() if self._seen.get(rel) != now.get(rel)
            )
            self._seen = now  # taken before building: saves during the build are seen next time
            if self.state.fatal:
                todo = None  # after a failed build, everyone is out of date
            what = changed[0] + (f" and {len(changed) - 1} more" if len(changed) > 1 else "")
            self._build(todo, f"{what} changed: ")
            return True

    def _build(self, profiles: list[str] | None, why: str) -> None:
        """Build (holding the project's lock only while building, so that a `movebook build`
        runs while the preview is idle)."""
        started = time.monotonic()
        before = self.state
        known = self._profile_files()

        def waiting(text: str) -> None:
            nonlocal started
            self._say(text, True)
            started = time.monotonic()  # the time the build took, not the wait

        try:
            try:
                # The preview renders here, never on a cluster build.scheduler names.
                result = publish.build(
                    self.root,
                    profiles or (),
                    pdf=self.pdf,
                    jobs=self.jobs,
                    scheduler=publish.HERE,
                    on_wait=waiting,
                )
            except ProjectError:
                if not profiles:
                    raise
                # A profile gone since we looked, or a library broken at the same moment:
                # rebuild everyone, which reports the real state.
                profiles = None
                result = publish.build(
                    self.root, pdf=self.pdf, jobs=self.jobs, scheduler=publish.HERE, on_wait=waiting
                )
        except ProjectError as error:
            problems = tuple(str(problem) for problem in error.problems)
            self._fail(before, problems, known, why)
            return
        except SecretError as error:
            self._fail(before, (str(error),), known, why)
            return
        self._secret = result.secret
        self._succeed(before, result, profiles, why, time.monotonic() - started)

    def _fail(self, before: State, problems: tuple[str, ...], known: set[str], why: str) -> None:
        secret = self._secret
        slugs = frozenset(secret.slug(name) for name in known) if secret else before.slugs
        self.state = State(before.generation + 1, problems, before.broken, slugs)
        self._say(f"{why}the booklets could not be rebuilt:" if why else "Could not build:", True)
        for line in problems:
            self._say(line, True)
        self._say("The preview shows these problems until they are fixed.", True)

    def _succeed(
        self,
        before: State,
        result: BuildResult,
        profiles: list[str] | None,
        why: str,
        took: float,
    ) -> None:
        secret = result.secret
        new = {o.profile for o in result.outcomes}
        if profiles:
            broken = dict(before.broken)
            slugs = set(before.slugs)
        else:
            broken, slugs = {}, set()
        for outcome in result.outcomes:
            slug = secret.slug(outcome.profile)
            slugs.add(slug)
            broken.pop(slug, None)
            if outcome.problems:
                broken[slug] = outcome.problems
        self.state = State(before.generation + 1, (), broken, frozenset(slugs))
        for outcome in result.failed:
            for line in outcome.problems:
                self._say(line, True)
        failed = sorted(o.profile for o in result.failed)
        done = sorted(new - set(failed))
        if profiles:
            summary = f"rebuilt {', '.join(done)}" if done else ""
        else:
            summary = f"built {len(done)} booklet{'' if len(done) == 1 else 's'}"
        if failed:
            summary += ("; " if summary else "") + f"{', '.join(failed)} could not be rebuilt"
            summary += " (the preview shows why)"
        summary = f"{why}{summary}" if why else summary[:1].upper() + summary[1:]
        self._say(f"{summary} in {took:.1f} s", bool(failed))
        if profiles:
            fresh = [name for name in sorted(new) if secret.slug(name) not in before.slugs]
            for name, url in self.links(fresh) if fresh else []:
                self._say(f"New booklet: {name}\t{url}", False)
