"""What movebook.yaml can publish: the logo is copied onto the site, the clinic's name goes
into the handout's stylesheet and the site's address into every QR code. None of them may
publish a secret, break out of the stylesheet or lead anywhere but the clinic's site."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import GOOD_PROFILE, SECRET, problems, write
from movebook import publish
from movebook.project import load_project
from movebook.render import css_string, render_booklet, site_assets

LOGO_LINE = 3  # where configure() writes `logo:`
SITE_URL = "https://booklets.example.org/"


def configure(
    root: Path,
    *,
    name: str = "Riverside Physiotherapy",
    logo: str | None = None,
    base_url: str | None = SITE_URL,
    accent: str = "#2f6f62",
) -> None:
    """Write movebook.yaml with these values (JSON strings are YAML too, escapes and all)."""
    lines = ["clinic:", f"  name: {json.dumps(name)}"]
    lines += [f"  logo: {json.dumps(logo)}"] if logo is not None else []
    lines += [f"  accent: {json.dumps(accent)}", "site:", "  private: true"]
    lines += [f"  base_url: {json.dumps(base_url)}"] if base_url is not None else []
    write(root, "movebook.yaml", "\n".join(lines) + "\n")


def image(kind: str, size: tuple[int, int] = (40, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#2f6f62").save(out, kind)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="16"><rect width="40"/></svg>'


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movebook", *args, "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def published(root: Path) -> list[str]:
    assets = root / "output" / "site" / "assets"
    return sorted(p.name for p in assets.iterdir() if p.is_file()) if assets.is_dir() else []


# --- the logo -----------------------------------------------------------------


def secret_file(root: Path) -> None:
    write(root, ".movebook-secret", SECRET + "\n")


def link(target: str, name: str = "logo.png") -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target if target.startswith("/") else root / target)

    return make


def outside_png(root: Path) -> None:
    write(root.parent, "elsewhere.png", image("PNG"))
    link(str(root.parent / "elsewhere.png"))(root)


def nothing(root: Path) -> None:
    pass


BAD_LOGOS = {
    "the site secret": (
        ".movebook-secret",
        secret_file,
        "expected a file that is not hidden (no name starting with '.'), got '.movebook-secret'",
    ),
    "a hidden folder": (
        ".brand/logo.png",
        lambda root: write(root, ".brand/logo.png", image("PNG")),
        "expected a file that is not hidden (no name starting with '.'), got '.brand/logo.png'",
    ),
    "an absolute path": (
        "/etc/passwd",
        nothing,
        "expected a path inside the project, relative to movebook.yaml, got '/etc/passwd'",
    ),
    "a path out of the project": (
        "../elsewhere.png",
        lambda root: write(root.parent, "elsewhere.png", image("PNG")),
        "expected a path inside the project, relative to movebook.yaml, got '../elsewhere.png'",
    ),
    "a home folder": (
        "~/logo.png",
        nothing,
        "expected a path inside the project, relative to movebook.yaml, got '~/logo.png'",
    ),
    "an empty string": (
        "",
        nothing,
        "expected a path inside the project, relative to movebook.yaml, got an empty string",
    ),
    "a link to a system file": (
        "logo.png",
        link("/etc/passwd"),
        "expected a file inside the project, got 'logo.png' (a link to a file outside it)",
    ),
    "a link to an image outside": (
        "logo.png",
        outside_png,
        "expected a file inside the project, got 'logo.png' (a link to a file outside it)",
    ),
    "a link to the secret": (
        "logo.png",
        lambda root: (secret_file(root), link(".movebook-secret")(root)),
        "expected a file that is not hidden, got 'logo.png' (a link to a hidden file)",
    ),
    "a loop of links": (
        "logo.png",
        lambda root: (link("loop.png")(root), link("logo.png", "loop.png")(root)),
        "expected a readable image file, got 'logo.png' (a loop of links)",
    ),
    "a missing file": (
        "brand/logo.png",
        nothing,
        "expected an existing image file, got 'brand/logo.png' (no such file)",
    ),
    "a folder": (
        "brand.png",
        lambda root: (root / "brand.png").mkdir(),
        "expected an image file, got 'brand.png' (a folder)",
    ),
    "not an image type": (
        "movebook.yaml",
        nothing,
        "expected a .png, .jpg, .jpeg, .gif, .webp or .svg image, got 'movebook.yaml'",
    ),
    "text named .png": (
        "logo.png",
        lambda root: write(root, "logo.png", "root:x:0:0:root:/root:/bin/bash\n"),
        "expected PNG image data (as the extension says), got 'logo.png', which has other content",
    ),
    "a JPEG named .png": (
        "logo.png",
        lambda root: write(root, "logo.png", image("JPEG")),
        "expected PNG image data (as the extension says), got 'logo.png', which has other content",
    ),
    "a PNG named .gif": (
        "logo.gif",
        lambda root: write(root, "logo.gif", image("PNG")),
        "expected GIF image data (as the extension says), got 'logo.gif', which has other content",
    ),
    "an empty file": (
        "logo.webp",
        lambda root: write(root, "logo.webp", b""),
        "expected WEBP image data (as the extension says), got 'logo.webp', "
        "which has other content",
    ),
    "HTML named .svg": (
        "logo.svg",
        lambda root: write(root, "logo.svg", "<html><body>hi</body></html>"),
        "expected SVG image data (as the extension says), got 'logo.svg', which has other content",
    ),
    "not XML named .svg": (
        "logo.svg",
        lambda root: write(root, "logo.svg", "<svg"),
        "expected SVG image data (as the extension says), got 'logo.svg', which is not XML",
    ),
    "an SVG with entities": (
        "logo.svg",
        lambda root: write(
            root,
            "logo.svg",
            '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]>'
            '<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        ),
        "expected SVG image data (as the extension says), got 'logo.svg', "
        "which declares XML entities",
    ),
    "an SVG with a script": (
        "logo.svg",
        lambda root: write(
            root,
            "logo.svg",
            '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
        "expected an SVG image without scripts, got 'logo.svg', which has one",
    ),
    "an SVG with an event handler": (
        "logo.svg",
        lambda root: write(
            root, "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
        ),
        "expected an SVG image without scripts, got 'logo.svg', which has one",
    ),
    "too many bytes": (
        "logo.png",
        lambda root: write(root, "logo.png", image("PNG") + bytes(1_500_000)),
        "expected an image of at most 1 MB, got 'logo.png' (1.5 MB)",
    ),
    "too many pixels": (
        "logo.png",
        lambda root: write(root, "logo.png", image("PNG", (5000, 10))),
        "expected an image at most 4096 pixels on each side, got 'logo.png' (5000 x 10)",
    ),
}


@pytest.mark.parametrize("case", BAD_LOGOS, ids=list(BAD_LOGOS))
def test_a_logo_that_could_publish_the_wrong_file_is_refused(project: Path, case: str) -> None:
    logo, make, message = BAD_LOGOS[case]
    make(project)
    configure(project, logo=logo)
    assert problems(project) == [f"movebook.yaml:{LOGO_LINE}: clinic.logo: {message}"]


@pytest.mark.parametrize(
    ("logo", "content", "on_the_site"),
    [
        ("brand/logo.png", image("PNG"), "logo.png"),
        ("brand/Logo.JPG", image("JPEG"), "logo.jpg"),
        ("logo.jpeg", image("JPEG"), "logo.jpeg"),
        ("logo.gif", image("GIF"), "logo.gif"),
        ("logo.webp", image("WEBP"), "logo.webp"),
        ("logo.svg", SVG, "logo.svg"),
    ],
)
def test_an_image_in_the_project_is_a_logo(
    project: Path, logo: str, content: bytes, on_the_site: str
) -> None:
    write(project, logo, content)
    configure(project, logo=logo)
    assert problems(project) == []
    assert site_assets(load_project(project).config, project)[f"assets/{on_the_site}"] == (
        project / logo
    )


def test_a_link_to_an_image_inside_the_project_is_a_logo(project: Path) -> None:
    write(project, "brand/clinic.png", image("PNG"))
    link("brand/clinic.png")(project)
    configure(project, logo="logo.png")
    assert problems(project) == []


@pytest.mark.parametrize("logo", [".movebook-secret", "brand/logo.png"])
def test_check_and_build_stop_at_a_bad_logo_with_one_line(project: Path, logo: str) -> None:
    """Before: the secret was published as assets/logo (mode 0644); a missing logo passed
    `check` and the build died with a traceback."""
    secret_file(project)
    configure(project, logo=logo)
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    message = BAD_LOGOS["the site secret" if logo.startswith(".") else "a missing file"][2]
    line = f"movebook.yaml:{LOGO_LINE}: clinic.logo: {message}\n"
    for command in ("check", "build"):
        result = run(project, command)
        assert (result.returncode, result.stderr) == (1, line), command
    assert not (project / "output").exists()


def test_a_good_logo_is_published_as_it_is(project: Path) -> None:
    content = image("PNG")
    write(project, "brand/logo.png", content)
    configure(project, logo="brand/logo.png")
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = publish.build(project, ["ana-silva"], pdf=False)
    assert not result.failed
    assert "logo.png" in published(project)
    assert (project / "output" / "site" / "assets" / "logo.png").read_bytes() == content


# --- the site's address --------------------------------------------------------

BAD_URLS = {
    "javascript:alert(1)//": "expected an https:// address",
    "http://booklets.example.org/": "expected an https:// address (http:// only for localhost)",
    "ftp://booklets.example.org/": "expected an https:// address",
    "//booklets.example.org/": "expected an https:// address",
    "booklets.example.org": "expected an https:// address",
    "https:booklets.example.org": "expected an address with a host name, like "
    "https://booklets.example.org/",
    "https:///p/": "expected an address with a host name, like https://booklets.example.org/",
    "https://[::1/": "expected an address with a host name, like https://booklets.example.org/",
    "https://booklets.example.org/\n": "expected a web address (no spaces, quotes, control or "
    "non-ASCII characters)",
    "https://booklets.example.org/ p": "expected a web address (no spaces, quotes, control or "
    "non-ASCII characters)",
    'https://booklets.example.org/"><b>': "expected a web address (no spaces, quotes, control or "
    "non-ASCII characters)",
    "https://bookléts.example.org/": "expected a web address (no spaces, quotes, control or "
    "non-ASCII characters)",
    "https://good.example\\@evil.example/": "expected a web address (no spaces, quotes, control "
    "or non-ASCII characters)",
    "https://booklets.example.org/?utm=1": "expected an address without a query (?) or "
    "fragment (#)",
    "https://booklets.example.org/#top": "expected an address without a query (?) or fragment (#)",
    "https://booklets.example.org:99999/": "expected an address with a port number up to 65535",
}


@pytest.mark.parametrize("url", BAD_URLS, ids=[repr(url) for url in BAD_URLS])
def test_a_site_address_that_is_not_plain_https_is_refused(project: Path, url: str) -> None:
    configure(project, base_url=url)
    got = repr(url)
    assert problems(project) == [f"movebook.yaml:6: site.base_url: {BAD_URLS[url]}, got {got}"]


def test_a_site_address_with_a_nul_is_refused_when_read(project: Path) -> None:
    configure(project, base_url="https://booklets.example.org/\x00")
    assert problems(project) == [
        "movebook.yaml:6: site.base_url: expected text without control characters, "
        "got U+0000 in 'https://booklets.example.org/\\x00'"
    ]


def test_a_site_address_with_a_password_is_refused_without_printing_it(project: Path) -> None:
    configure(project, base_url="https://sam:hunter2@booklets.example.org/")
    assert problems(project) == [
        "movebook.yaml:6: site.base_url: expected an address without a user name or password, "
        "got one with them"
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://booklets.example.org/",
        "https://booklets.example.org",
        "HTTPS://Booklets.Example.org/riverside/",
        "https://booklets.example.org:8443/p%20q/",
        "http://localhost:8000/",
        "http://127.0.0.1/",
        "http://[::1]:8080/",
    ],
)
def test_an_https_or_local_address_is_a_site_address(project: Path, url: str) -> None:
    configure(project, base_url=url)
    assert problems(project) == []


# --- what reaches the handout's stylesheet ---------------------------------------


def test_css_string_escapes_all_that_could_end_the_string_or_the_style_element() -> None:
    assert css_string("Riverside Physiotherapy") == '"Riverside Physiotherapy"'
    assert css_string('Physio "Plus"') == '"Physio \\000022 Plus\\000022 "'
    assert css_string("a\\b'c") == '"a\\00005C b\\000027 c"'
    assert css_string("</style><h1>") == '"\\00003C /style\\00003E \\00003C h1\\00003E "'
    assert css_string("Clínica\nNorte\x07") == '"Cl\\0000ED nica\\00000A Norte"'


def test_a_colour_with_more_after_it_is_refused(project: Path) -> None:
    configure(project, accent="#2f6f62\n} body { display: none")
    assert problems(project) == [
        "movebook.yaml:3: clinic.accent: expected a colour like #2f6f62, "
        "got '#2f6f62\\n} body { display: none'"
    ]
    configure(project, accent="#2f6f62\n")
    assert problems(project) == [
        "movebook.yaml:3: clinic.accent: expected a colour like #2f6f62, got '#2f6f62\\n'"
    ]


def test_the_clinic_name_prints_as_it_is_in_the_running_footer(project: Path) -> None:
    """Before: `Physio "Plus"` broke the footer, and a name with `</style>` printed the
    stylesheet as text and put its own heading into the PDF."""
    name = 'Physio "Plus" \\ </style><h1>INJECTED</h1>'
    configure(project, name=name)
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    loaded = load_project(project)
    handout = render_booklet(
        project, loaded.config, loaded.library, loaded.profiles["ana-silva"]
    ).handout
    style = handout.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style and "INJECTED" in style
    assert "<h1>INJECTED" not in handout

    result = publish.build(project, ["ana-silva"])
    assert not result.failed
    reader = PdfReader(project / "output" / "pdf" / "ana-silva" / "2026-09-02.pdf")
    pages = [page.extract_text() for page in reader.pages]
    # On the cover as text, on every other page in the running footer: exactly, and once.
    assert [page.count(name) for page in pages] == [1] * len(pages)
    assert [page.count("INJECTED") for page in pages] == [1] * len(pages)
    assert pages[1].endswith(name)  # the footer is the last line of a page
    assert not any("INJECTED" in str(item.title) for item in flat(reader.outline))
    assert "@page" not in "".join(pages)  # the stylesheet is not printed as text


def flat(outline: list[object]) -> list[object]:
    items: list[object] = []
    for item in outline:
        items += flat(item) if isinstance(item, list) else [item]
    return items
