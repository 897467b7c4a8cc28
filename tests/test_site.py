"""The private site as its host sees it: opaque stable links, sealed pages, nothing readable."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag

from conftest import (
    GOOD_PROFILE,
    SITE_SECRET,
    booklet_folder,
    bundled_copy,
    page_file,
    read_page,
    write,
)
from movebook import publish
from movebook.cli import main
from movebook.publish import opaque_name
from movebook.render import CONTENT_SECURITY_POLICY
from movebook.site import (
    SEALED_PAGE,
    SECRET_ENV,
    SECRET_FILE,
    SiteSecret,
    decode,
    encode,
    read_sealed_page,
    seal,
    site_secret,
    unseal,
    unwrap_key,
    wrap_key,
)

SAMPLES = ["maria-lopez", "aurelio-bianchi", "declan-obrien"]  # full, passphrase, red flag


@pytest.fixture(scope="module")
def private_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three sample patients built with their PDFs, as `movebook build` would."""
    root = bundled_copy(tmp_path_factory.mktemp("private"))
    for profile in (root / "profiles").glob("*.yaml"):
        if profile.stem not in SAMPLES and profile.stem != "profile.schema":
            profile.unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, encode(SITE_SECRET.value))
        result = publish.build(root, jobs=2)
    assert not result.failed, result.failed
    return root


def patient_words(profile: dict[str, object]) -> set[str]:
    """Everything a profile says about its patient that must never be readable on the host."""
    words = {str(profile["id"]), str(profile["name"]), str(profile.get("preferred_name", ""))}
    for assessment in profile["assessments"]:  # type: ignore[attr-defined]
        words.update(goal["label"] for goal in assessment.get("goals", []) if "label" in goal)
        words.update((assessment.get("measures") or {}).get("psfs", {}))
        words.add(assessment["signature"].get("classification", ""))
        for text in [
            assessment.get("notes", ""),
            *assessment.get("overrides", {}).get("notes", {}).values(),
        ]:
            words.update(s.strip() for s in re.split(r"[.:;!?\n]", text) if len(s.strip()) > 15)
    return {word for word in words if len(word) >= 4}


def readable(data: bytes) -> bytes:
    """A file as a snooping host can read it: a sealed page's payload decoded from base64, so
    that a name turning up by chance among its letters is not mistaken for a leak."""
    match = SEALED_PAGE.search(data.decode("utf-8", errors="replace"))
    if match is None:
        return data
    text = data.decode("utf-8")
    return text[: match.start(2)].encode() + decode(match[2]) + text[match.end(2) :].encode()


def test_no_patient_name_note_goal_or_measure_is_readable_anywhere_on_the_site(
    private_site: Path,
) -> None:
    files = [path for path in (private_site / "output" / "site").rglob("*") if path.is_file()]
    assert any(path.name.endswith(".sealed") for path in files)  # the handout copies are there
    for patient in SAMPLES:
        profile = yaml.safe_load((private_site / "profiles" / f"{patient}.yaml").read_text())
        words = patient_words(profile)
        assert len(words) > 5, words
        for path in files:
            name = path.relative_to(private_site).as_posix()
            data = readable(path.read_bytes()).lower()
            for word in words:
                assert word.lower() not in name.lower(), (word, name)
                assert word.lower().encode() not in data, (word, name)
        # Yet the patient, with the key, reads all of it.
        overview = read_page(private_site, patient, "index.html")
        assert str(profile.get("preferred_name") or profile["name"]) in overview


def test_the_host_cannot_tell_which_exercises_a_patient_does(private_site: Path) -> None:
    exercises = [p.stem for p in (private_site / "content" / "exercises").rglob("*.md")]
    assert len(exercises) > 20
    for path in (private_site / "output" / "site" / "p").rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert not any(f"{exercise}.html".encode() in text for exercise in exercises), path
            assert not path.name.startswith(("exercise-", "session-", "learn-")), path


def test_the_site_handout_is_the_patients_pdf_sealed(private_site: Path) -> None:
    folder = booklet_folder(private_site, "maria-lopez")
    assert not (folder / "handout.pdf").exists()
    sealed = (folder / "handout.pdf.sealed").read_bytes()
    assert b"%PDF" not in sealed
    pdf = unseal(SITE_SECRET.page_key("maria-lopez"), "handout.pdf", sealed)
    clinician_copy = private_site / "output" / "pdf" / "maria-lopez" / "2026-11-04.pdf"
    assert pdf == clinician_copy.read_bytes()


def test_earlier_handouts_are_sealed_under_names_that_do_not_give_the_visit_dates(
    private_site: Path,
) -> None:
    folder = booklet_folder(private_site, "maria-lopez")
    key = SITE_SECRET.page_key("maria-lopez")
    for date in ("2026-09-02", "2026-09-30"):
        name = opaque_name(key, f"{date}-handout.pdf")
        earlier = read_page(private_site, "maria-lopez", f"{date}-index.html")
        assert f'href="{name}"' in earlier  # its own handout, not today's
        pdf = unseal(key, name, (folder / (name + ".sealed")).read_bytes())
        assert pdf == (private_site / "output" / "pdf" / "maria-lopez" / f"{date}.pdf").read_bytes()
    assert len(list(folder.glob("*.pdf.sealed"))) == 3
    for path in (private_site / "output" / "site").rglob("*"):
        assert not re.search(r"\d{4}-\d\d-\d\d", path.name), path


def test_every_page_forbids_scripts_from_elsewhere_and_referrers(private_site: Path) -> None:
    pages = list((private_site / "output" / "site").rglob("*.html"))
    assert len(pages) > 30
    for page in pages:
        html = page.read_text()
        assert (
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
            in (html.replace("&#39;", "'"))
        ), page
        assert '<meta name="referrer" content="no-referrer">' in html, page
        assert '<meta name="robots" content="noindex, nofollow, noarchive">' in html, page
        assert "<script>" not in html  # nothing inline: the only script is assets/unlock.js
    opened = read_page(private_site, "maria-lopez", "plan.html")  # the page the patient sees
    assert "Content-Security-Policy" in opened and "no-referrer" in opened
    index = (private_site / "output" / "site" / "index.html").read_text()
    assert "This is a private site" in index and "/p/" not in index and 'href="p' not in index
    assert (private_site / "output" / "site" / "robots.txt").read_text().endswith("Disallow: /\n")
    headers = (private_site / "output" / "site" / "_headers").read_text()
    assert "  Referrer-Policy: no-referrer\n" in headers
    assert (
        f"  Content-Security-Policy: {CONTENT_SECURITY_POLICY}; frame-ancestors 'none'\n" in headers
    )


def test_links_are_stable_across_rebuilds_and_an_added_assessment(private_site: Path) -> None:
    folder = booklet_folder(private_site, "maria-lopez")
    before = sorted(p.name for p in folder.iterdir())
    profile = private_site / "profiles" / "maria-lopez.yaml"
    text = profile.read_text()
    later = text.split("  - date: 2026-11-04")[1].replace("phase: 3", "phase: 4", 1)
    profile.write_text(text + "  - date: 2026-12-02" + later)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, encode(SITE_SECRET.value))
        assert not publish.build(private_site, ["maria-lopez"], pdf=False).failed
    assert folder.is_dir()
    assert "Phase 4 of 4" in read_page(private_site, "maria-lopez", "index.html")
    assert "index.html" in before and (folder / "index.html").is_file()  # the front page stays
    assert page_file(private_site, "maria-lopez", "plan.html").name in before
    profile.write_text(text)


def test_a_wrong_key_opens_nothing(private_site: Path) -> None:
    html = page_file(private_site, "maria-lopez", "index.html").read_text()
    with pytest.raises(InvalidTag):
        read_sealed_page(html, SITE_SECRET.page_key("aurelio-bianchi"))
    other_site = SiteSecret(b"another clinic's secret".ljust(32, b"."), "test")
    with pytest.raises(InvalidTag):
        read_sealed_page(html, other_site.page_key("maria-lopez"))


def test_a_sealed_page_cannot_be_swapped_for_another(private_site: Path) -> None:
    key = SITE_SECRET.page_key("maria-lopez")
    sealed = seal(key, "a.html", b"<p>one</p>")
    assert unseal(key, "a.html", sealed) == b"<p>one</p>"
    with pytest.raises(InvalidTag):
        unseal(key, "b.html", sealed)  # the name is bound in as associated data
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(InvalidTag):
        unseal(key, "a.html", bytes(tampered))


def test_sealing_is_reproducible_and_nonces_differ_between_pages() -> None:
    key = SITE_SECRET.page_key("maria-lopez")
    assert seal(key, "a.html", b"same") == seal(key, "a.html", b"same")
    assert seal(key, "a.html", b"one")[:12] != seal(key, "a.html", b"two")[:12]
    assert seal(key, "a.html", b"one")[:12] != seal(key, "b.html", b"one")[:12]


def test_a_passphrase_opens_the_same_key_whatever_the_case_and_spacing() -> None:
    wrapped = wrap_key(SITE_SECRET, "aurelio-bianchi", "olive harbour morning steps")
    assert wrapped.iterations >= 600_000
    key = SITE_SECRET.page_key("aurelio-bianchi")
    assert unwrap_key(wrapped, "  Olive  Harbour morning STEPS ") == key
    with pytest.raises(InvalidTag):
        unwrap_key(wrapped, "olive harbour morning step")


def test_the_passphrase_patient_gets_the_form_and_others_do_not(private_site: Path) -> None:
    aurelio = page_file(private_site, "aurelio-bianchi", "index.html").read_text()
    assert 'id="passphrase"' in aurelio and "data-wrapped=" in aurelio
    maria = page_file(private_site, "maria-lopez", "index.html").read_text()
    assert 'id="passphrase"' not in maria and "data-wrapped" not in maria


def test_a_short_passphrase_is_refused_with_file_and_line(project: Path) -> None:
    write(
        project,
        "profiles/ana-silva.yaml",
        GOOD_PROFILE.replace("name: Ana Silva\n", "name: Ana Silva\npassphrase: leo\n"),
    )
    result = CliRunner().invoke(main, ["check", "--project", str(project)])
    assert result.exit_code == 1
    assert "profiles/ana-silva.yaml:3: passphrase:" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_secret_is_created_once_private_and_announced(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    first = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert first.exit_code == 0, first.output
    assert f"Created the site secret in {SECRET_FILE}" in first.stderr
    path = project / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(decode(path.read_text())) * 8 >= 128
    second = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert "Created" not in second.stderr
    assert site_secret(project).value == decode(path.read_text())


def test_links_prints_each_patients_full_private_url(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = CliRunner().invoke(main, ["links", "--project", str(project)])
    assert result.exit_code == 0, result.output
    slug, key = SITE_SECRET.slug("ana-silva"), encode(SITE_SECRET.page_key("ana-silva"))
    assert result.stdout == (
        f"ana-silva\thttps://booklets.riverside-physio.example/p/{slug}/#k={key}\n"
    )
    unknown = CliRunner().invoke(main, ["links", "ana-silvia", "--project", str(project)])
    assert unknown.exit_code == 1
    assert (
        "no profile 'ana-silvia'" in unknown.stderr and "did you mean 'ana-silva'" in unknown.stderr
    )


def test_a_public_site_has_no_keys_and_plain_pages(project: Path) -> None:
    config = project / "movebook.yaml"
    config.write_text(config.read_text().replace("private: true", "private: false"))
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = CliRunner().invoke(main, ["links", "--project", str(project)])
    assert result.stdout.strip().endswith(f"/p/{SITE_SECRET.slug('ana-silva')}/")
    assert not publish.build(project, pdf=False).failed
    folder = booklet_folder(project, "ana-silva")
    assert "Hello, Ana" in (folder / "index.html").read_text()
    assert not list(folder.glob("*.sealed"))


def test_a_bad_secret_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "c2hvcnQ")
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {SECRET_ENV}: expected at least 128 bits, got 40\n"


def test_a_full_build_takes_down_booklets_no_profile_leads_to(project: Path) -> None:
    write(project, "profiles/ana-silva.yaml", GOOD_PROFILE)
    write(project, "profiles/ben-hale.yaml", GOOD_PROFILE.replace("ana-silva", "ben-hale"))
    assert not publish.build(project, pdf=False).failed
    (project / "profiles" / "ben-hale.yaml").unlink()
    partial = publish.build(project, ["ana-silva"], pdf=False)
    assert partial.removed == 0 and booklet_folder(project, "ben-hale").is_dir()
    result = CliRunner().invoke(main, ["build", "--no-pdf", "--project", str(project)])
    assert "Took down 1 booklet whose profile no longer exists." in result.stderr
    assert not booklet_folder(project, "ben-hale").exists()
    assert booklet_folder(project, "ana-silva").is_dir()
