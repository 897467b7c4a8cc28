"""`movebook serve`: the local preview rebuilds what changed, reloads, and shows build errors."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import SECRET, bundled_copy
from movebook.cli import main
from movebook.serve import Preview
from movebook.site import SiteSecret, _decode, encode, read_sealed_page

SITE_SECRET = SiteSecret(_decode(SECRET, "test"), "test")
MARIA, FATIMA = "maria-lopez", "fatima-al-sayed"
LIVE = re.compile(r'<script src="/_movebook/live\.js\?generation=(\d+)"></script>\s*</head>')
TROUBLE = "The booklet could not be rebuilt"


def clinic(tmp_path: Path, *keep: str) -> Path:
    """The bundled project with only a few patients, so each build takes a moment."""
    root = bundled_copy(tmp_path / "clinic")
    for path in (root / "profiles").glob("*.yaml"):
        if path.stem not in keep:
            path.unlink()
    return root


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    """Built and serving, but not watching: each test calls rebuild_if_changed() itself."""
    with Preview(clinic(tmp_path, MARIA, FATIMA), port=0) as running:
        running.start(watch=False)
        yield running


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """One preview shared by the tests that only make requests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVEBOOK_SITE_SECRET", SECRET)
        root = clinic(tmp_path_factory.mktemp("served"), MARIA, FATIMA)
        with Preview(root, port=0) as running:
            running.start(watch=False)
            yield running


@dataclass
class Response:
    status: int
    headers: Message
    text: str


def get(preview: Preview, path: str, method: str = "GET", host: str | None = None) -> Response:
    """The path is sent exactly as written: no client-side normalising of `..` or `%2e`."""
    connection = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    try:
        connection.request(method, path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return Response(response.status, response.headers, body)
    finally:
        connection.close()


def booklet_path(profile: str, page: str = "") -> str:
    return f"/p/{SITE_SECRET.slug(profile)}/{page}"


def booklet_page(preview: Preview, profile: str) -> str:
    """A patient's front page as their browser shows it: opened with the key if sealed."""
    response = get(preview, booklet_path(profile))
    assert response.status == 200, response.text
    if 'id="sealed"' in response.text:
        return read_sealed_page(response.text, SITE_SECRET.page_key(profile))
    return response.text


def save(path: Path, text: str) -> None:
    """Write like an editor, and make sure the change is visible to an mtime check."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    later = max(time.time_ns(), before + 1_000_000_000)
    os.utime(path, ns=(later, later))


def edit(path: Path, old: str, new: str) -> str:
    """Replace text in a file; returns the original, to put back."""
    original = path.read_text(encoding="utf-8")
    assert old in original
    save(path, original.replace(old, new, 1))
    return original


def generation(preview: Preview) -> int:
    state = json.loads(get(preview, "/_movebook/state").text)
    assert isinstance(state["generation"], int)
    return state["generation"]


def folder_identity(preview: Preview, profile: str) -> int:
    """Changes whenever the booklet's folder is rebuilt (it is swapped in whole)."""
    return (preview.site / "p" / SITE_SECRET.slug(profile)).stat().st_ino


# --- serving ----------------------------------------------------------------------------


def test_listens_on_the_loopback_address_only(served: Preview) -> None:
    assert served.address == ("127.0.0.1", served.port)
    assert served.url == f"http://127.0.0.1:{served.port}/"
    links = dict(served.links())
    assert set(links) == {MARIA, FATIMA}
    slug, key = SITE_SECRET.slug(MARIA), encode(SITE_SECRET.page_key(MARIA))
    assert links[MARIA] == f"http://127.0.0.1:{served.port}/p/{slug}/#k={key}"


def test_html_responses_load_the_live_reload_script_and_files_stay_untouched(
    served: Preview,
) -> None:
    for path in ("/", "/index.html", booklet_path(MARIA), booklet_path(FATIMA, "index.html")):
        response = get(served, path, host=f"127.0.0.1:{served.port}")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        match = LIVE.search(response.text)
        assert match, path
        assert int(match[1]) == generation(served)
    on_disk = [p for p in served.site.rglob("*") if p.is_file()]
    assert on_disk
    assert not [p for p in on_disk if b"_movebook" in p.read_bytes()]

    css = get(served, "/assets/booklet.css")
    assert css.status == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "_movebook" not in css.text

    script = get(served, "/_movebook/live.js")
    assert script.status == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "location.reload()" in script.text
    state = get(served, "/_movebook/state")
    assert state.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(state.text) == {"generation": 1, "errors": False}


def test_pages_are_only_for_this_computers_own_addresses(served: Preview) -> None:
    """A web page elsewhere cannot read the preview by pointing its own DNS name at
    127.0.0.1 (DNS rebinding): the browser would send that name as the Host."""
    assert get(served, "/", host=f"localhost:{served.port}").status == 200
    for host in (f"attacker.example:{served.port}", "attacker.example", "127.0.0.1:1"):
        response = get(served, booklet_path(MARIA), host=host)
        assert response.status == 421
        assert response.text == ""
    assert get(served, "/_movebook/state", host="attacker.example").status == 421


def test_a_folder_without_its_slash_redirects_so_relative_links_work(served: Preview) -> None:
    response = get(served, booklet_path(MARIA).rstrip("/"))
    assert response.status == 301
    assert response.headers["Location"] == booklet_path(MARIA)
    assert get(served, "/", method="HEAD").status == 200


ESCAPES = [
    "/../movebook.yaml",
    "/../../../../etc/passwd",
    "/%2e%2e/movebook.yaml",
    "/%2E%2E/%2E%2E/movebook.yaml",
    "/p/%2e%2e/%2e%2e/%2e%2e/movebook.yaml",
    "/p/..%2f..%2f..%2fmovebook.yaml",
    "/assets/..%2f..%2fcanary.txt",
    "/..%5c..%5cmovebook.yaml",
    "/%00/../movebook.yaml",
    "/%ff%fe",
    "//etc/passwd",
    "http://127.0.0.1/../movebook.yaml",
    "/link.txt",  # a symlink out of output/site
    "/.hidden.txt",
    "/p/nobody-here/",
]


def test_requests_cannot_leave_the_site_folder(served: Preview) -> None:
    (served.root / "output" / "canary.txt").write_text("CANARY", encoding="utf-8")
    (served.site / ".hidden.txt").write_text("CANARY", encoding="utf-8")
    (served.site / "link.txt").symlink_to(served.root / "output" / "canary.txt")
    escaped = []
    for path in ESCAPES:
        response = get(served, path, host=f"127.0.0.1:{served.port}")
        if response.status != 404 or re.search("CANARY|clinic:|root:", response.text):
            escaped.append(f"{path}: {response.status}")
    assert not escaped


def test_nothing_is_logged_about_requests(
    served: Preview, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    get(served, booklet_path(MARIA))
    get(served, "/p/nobody-here/")
    get(served, "/../movebook.yaml")
    get(served, "/", method="POST")
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")
        raw.recv(1024)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as raw:
        raw.sendall(f"GET {booklet_path(MARIA)} HTTP/1.1\r\n".encode())  # hang up midway
    assert get(served, "/").status == 200
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# --- rebuilding -------------------------------------------------------------------------


def test_saving_a_profile_rebuilds_that_patient_only(preview: Preview) -> None:
    assert "Hello, Maria<" in booklet_page(preview, MARIA)
    assert preview.rebuild_if_changed() is False  # nothing changed yet
    fatima = folder_identity(preview, FATIMA)
    maria = folder_identity(preview, MARIA)
    first = generation(preview)

    edit(
        preview.root / "profiles" / f"{MARIA}.yaml",
        "preferred_name: Maria",
        "preferred_name: Marisol",
    )
    assert preview.rebuild_if_changed() is True

    assert "Hello, Marisol<" in booklet_page(preview, MARIA)
    assert generation(preview) == first + 1
    assert folder_identity(preview, MARIA) != maria
    assert folder_identity(preview, FATIMA) == fatima
    assert preview.rebuild_if_changed() is False


def test_a_library_change_rebuilds_everyone(preview: Preview) -> None:
    before = {name: folder_identity(preview, name) for name in (MARIA, FATIMA)}
    phases = preview.root / "content" / "phases.yaml"
    save(phases, phases.read_text(encoding="utf-8") + "\n")
    assert preview.rebuild_if_changed() is True
    assert all(folder_identity(preview, name) != before[name] for name in before)


def test_editor_scratch_files_do_not_trigger_a_rebuild(preview: Preview) -> None:
    save(preview.root / "profiles" / f".{MARIA}.yaml.swp", "scratch")
    save(preview.root / "content" / "phases.yaml~", "backup")
    save(preview.root / "profiles" / "notes.txt", "not a profile")
    assert preview.rebuild_if_changed() is False


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("preferred_name: Maria", "preferred_name: [Maria", r"profiles/maria-lopez\.yaml:\d+: "),
        (
            "preferred_name: Maria",
            "preferred_name: Maria\nfavourite<b>colour: blue",
            r"profiles/maria-lopez\.yaml:\d+: \['favourite&lt;b&gt;colour'\]: expected a known key",
        ),
    ],
    ids=["invalid-yaml", "unknown-field"],
)
def test_a_broken_profile_shows_its_error_instead_of_the_booklet_until_fixed(
    preview: Preview, old: str, new: str, expected: str
) -> None:
    profile = preview.root / "profiles" / f"{MARIA}.yaml"
    original = edit(profile, old, new)
    assert preview.rebuild_if_changed() is True

    for path in (booklet_path(MARIA), booklet_path(MARIA, "index.html")):
        response = get(preview, path)
        assert response.status == 500
        assert f"{TROUBLE}:" in response.text
        assert re.search(expected, response.text), response.text
        assert "<b>" not in response.text  # problems are escaped
        assert LIVE.search(response.text)  # so it reloads itself once fixed
        assert "Hello, Maria" not in response.text
        assert 'id="sealed"' not in response.text
    assert "Hello, " in booklet_page(preview, FATIMA)  # the others are unaffected
    assert json.loads(get(preview, "/_movebook/state").text)["errors"] is True

    save(profile, original)
    assert preview.rebuild_if_changed() is True
    assert "Hello, Maria<" in booklet_page(preview, MARIA)
    assert json.loads(get(preview, "/_movebook/state").text)["errors"] is False


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        ("templates/overview.html", "{% if %}\n", "templates/overview.html:1: "),
        ("content/phases.yaml", "phases: [\n", "content/phases.yaml:"),
    ],
    ids=["template", "library"],
)
def test_a_broken_template_or_library_file_shows_its_error_on_every_page(
    preview: Preview, rel: str, text: str, expected: str
) -> None:
    path = preview.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    original = path.read_bytes() if path.exists() else None
    save(path, text)
    assert preview.rebuild_if_changed() is True

    for page in ("/", booklet_path(MARIA), booklet_path(FATIMA), booklet_path(FATIMA, "x.html")):
        response = get(preview, page)
        assert response.status == 500, page
        assert f"{TROUBLE}:" in response.text
        assert expected in response.text
        assert LIVE.search(response.text)
    assert get(preview, "/assets/booklet.css").status == 200
    assert json.loads(get(preview, "/_movebook/state").text)["errors"] is True

    if original is None:
        path.unlink()
    else:
        path.write_bytes(original)
        later = time.time_ns() + 2_000_000_000
        os.utime(path, ns=(later, later))
    assert preview.rebuild_if_changed() is True
    assert "Hello, Maria<" in booklet_page(preview, MARIA)
    assert get(preview, "/").status == 200


def test_added_and_removed_profiles_come_and_go(preview: Preview) -> None:
    fatima = preview.root / "profiles" / f"{FATIMA}.yaml"
    text = fatima.read_text(encoding="utf-8")
    fatima.unlink()
    assert preview.rebuild_if_changed() is True
    assert get(preview, booklet_path(FATIMA)).status == 404  # no stale booklet
    assert get(preview, booklet_path(MARIA)).status == 200

    save(fatima, text)
    assert preview.rebuild_if_changed() is True
    assert get(preview, booklet_path(FATIMA)).status == 200


def test_a_project_broken_from_the_start_still_serves_its_errors(tmp_path: Path) -> None:
    root = clinic(tmp_path, MARIA)
    save(root / "content" / "phases.yaml", "phases: [\n")
    with Preview(root, port=0) as running:
        running.start(watch=False)
        for path in ("/", booklet_path(MARIA), booklet_path(MARIA, "index.html")):
            response = get(running, path)
            assert response.status == 500, path
            assert "content/phases.yaml:" in response.text
        assert get(running, "/_movebook/state").text == '{"generation": 1, "errors": true}'
        assert dict(running.links())[MARIA].startswith(running.url)


def test_the_watcher_rebuilds_by_itself(tmp_path: Path) -> None:
    with Preview(clinic(tmp_path, MARIA), port=0, interval=0.05) as running:
        running.start()
        first = generation(running)
        edit(
            running.root / "profiles" / f"{MARIA}.yaml",
            "preferred_name: Maria",
            "preferred_name: Mo",
        )
        wait_for(lambda: generation(running) > first)
        assert "Hello, Mo<" in booklet_page(running, MARIA)


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- in a real browser ------------------------------------------------------------------


SHOWS = "text => document.body !== null && document.body.innerText.includes(text)"


def test_the_browser_reloads_on_save_and_shows_build_errors(browser: Any, tmp_path: Path) -> None:
    with Preview(clinic(tmp_path, MARIA), port=0, interval=0.1) as running:
        running.start()
        context = browser.new_context()
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        try:
            page.goto(dict(running.links())[MARIA])
            page.wait_for_function(SHOWS, arg="Hello, Maria", timeout=15_000)

            profile = running.root / "profiles" / f"{MARIA}.yaml"
            original = edit(profile, "preferred_name: Maria", "preferred_name: Marisol")
            page.wait_for_function(SHOWS, arg="Hello, Marisol", timeout=15_000)

            save(profile, original.replace("preferred_name: Maria", "preferred_name: [Maria"))
            page.wait_for_function(SHOWS, arg=TROUBLE, timeout=15_000)
            assert "profiles/maria-lopez.yaml:" in page.inner_text("body")

            save(profile, original)
            page.wait_for_function(SHOWS, arg="Hello, Maria", timeout=15_000)
            assert TROUBLE not in page.inner_text("body")
        finally:
            context.close()
        assert not blocked, blocked


def test_the_command_says_when_its_port_is_taken(tmp_path: Path) -> None:
    root = clinic(tmp_path, MARIA)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--project", str(root), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (root / "output").exists()  # it stopped before building anything
