"""Render the README's pictures from the bundled profiles (run after `movebook build`).

    .venv/bin/python scripts/screenshots.py

Needs Debian's chromium and poppler-utils (pdftoppm).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from movebook.publish import opaque_name
from movebook.site import encode, site_secret

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PATIENT = "maria-lopez"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def phone(folder: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        shots = []
        secret = site_secret(ROOT)
        key = secret.page_key(PATIENT)
        for name in ("index.html", "exercise-lift-to-car-seat.html"):
            # A private booklet: the page under its opaque name, opened with its key.
            page.goto((folder / opaque_name(key, name)).as_uri() + f"#k={encode(key)}")
            page.wait_for_selector("main", timeout=10_000)
            target = Path(tempfile.mktemp(suffix=".png"))
            page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 390, "height": 1100})
            shots.append(Image.open(target))
        browser.close()
    sheet = Image.new("RGB", (sum(s.width for s in shots) + 40, shots[0].height), "#d5dcd9")
    for index, shot in enumerate(shots):
        sheet.paste(shot, (index * (shot.width + 40), 0))
    sheet.save(OUT / "web-phone.png", optimize=True)


def handout(pdf: Path, pages: tuple[int, ...]) -> None:
    images = []
    with tempfile.TemporaryDirectory() as scratch:
        for number in pages:
            prefix = Path(scratch) / f"p{number}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "70",
                    "-png",
                    "-singlefile",
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    str(pdf),
                    str(prefix),
                ],
                check=True,
            )
            images.append(Image.open(f"{prefix}.png").convert("RGB"))
    gap = 30
    sheet = Image.new(
        "RGB",
        (sum(i.width for i in images) + gap * (len(images) + 1), images[0].height + 2 * gap),
        "#d5dcd9",
    )
    for index, image in enumerate(images):
        sheet.paste(image, (gap + index * (image.width + gap), gap))
    sheet.save(OUT / "handout-pages.png", optimize=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    folder = ROOT / "output" / "site" / "p" / site_secret(ROOT).slug(PATIENT)
    pdfs = sorted((ROOT / "output" / "pdf" / PATIENT).glob("*.pdf"))
    if not folder.is_dir() or not pdfs:
        print("run `movebook build` first", file=sys.stderr)
        return 1
    phone(folder.resolve())
    handout(pdfs[-1], (1, 6))
    print(f"wrote {OUT / 'web-phone.png'} and {OUT / 'handout-pages.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
