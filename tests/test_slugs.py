"""Incident ids for titles in any script: readable ASCII by transliteration, within the length
limit; the look-alike warning of `new incident` compares the titles, not the ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.authoring.new import slugify
from generator.cli import main


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Élevated API errors (EU)", "elevated-api-errors-eu"),
        ("Διακοπή υπηρεσίας API", "diakope-uperesias-api"),
        ("Сбой оплаты", "sboi-oplaty"),
        ("支付服务中断", "zhi-fu-fu-wu-zhong-duan"),
        ("انقطاع الخدمة", "nqt-lkhdm"),
        ("Straße gesperrt", "strasse-gesperrt"),
        ("🔥🔥", "incident"),  # nothing to transliterate: the generic word, as before
    ],
)
def test_titles_in_any_script_get_readable_ascii_slugs(title, slug):
    assert slugify(title) == slug


def test_a_long_non_latin_title_is_cut_at_a_word_within_the_limit():
    slug = slugify("Сбой оплаты картами в европейском регионе из-за ошибки конфигурации балансировщика")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and 0 < len(slug) <= 60
    assert slug.startswith("sboi-oplaty-kartami") and not slug.endswith("-")


def _new_incident(capsys: pytest.CaptureFixture[str], site: Path, title: str) -> tuple[Path, str]:
    code = main(
        ["new", "incident", "--title", title, "--impact", "minor", "--components", "api"]
        + ["--date", "2099-01-01T09:00:00Z", "--site", str(site)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return Path(captured.out.strip()), captured.err


@pytest.fixture
def site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "status"
    assert main(["init", str(target), "--title", "Acme Status"]) == 0
    capsys.readouterr()
    return target


def test_look_alike_warning_compares_titles_not_slugs(site, capsys):
    first, err = _new_incident(capsys, site, "Сбой оплаты")
    assert first.parent.name == "2099-01-01-sboi-oplaty" and "same title" not in err
    # A different title that transliterates to the same id: a new folder, and no warning.
    second, err = _new_incident(capsys, site, "Сбой оплаты!")
    assert second.parent.name == "2099-01-01-sboi-oplaty-2" and "same title" not in err, err
    # Another script altogether: its own readable id, no warning.
    third, err = _new_incident(capsys, site, "Διακοπή πληρωμών")
    assert third.parent.name == "2099-01-01-diakope-pleromon" and "same title" not in err, err
    # The same title again (spacing and case aside) is the look-alike, named by its folder.
    fourth, err = _new_incident(capsys, site, "  сбой  ОПЛАТЫ ")
    assert fourth.parent.name == "2099-01-01-sboi-oplaty-3"
    assert (
        "content/incidents/2099-01-01-sboi-oplaty has the same title and day; if this is the same "
        "incident, delete this new one and use: statusgen new update 2099-01-01-sboi-oplaty" in err
    )
