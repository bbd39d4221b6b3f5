"""The wheel ships the default theme: an installed statusgen builds without the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                   check=True, cwd=out)
    return next(out.glob("statusgen-*.whl"))


def test_wheel_contains_theme_templates_and_css(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = REPO / "themes" / "default"
    expected = {f"generator/themes/default/{p.relative_to(theme).as_posix()}"
                for p in theme.rglob("*") if p.is_file()}
    assert expected and expected <= names
    assert "generator/cli.py" in names
    starter = REPO / "generator" / "starter"
    assert {f"generator/{p.relative_to(REPO / 'generator').as_posix()}"
            for p in starter.rglob("*") if p.is_file()} <= names


def test_installed_wheel_builds_a_site_from_anywhere(wheel, tmp_path):
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True)
    site = tmp_path / "copy-of-example"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yml", site / "site.yml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import generator; print(generator.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip().startswith(str(target))
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site), "--out", str(tmp_path / "out"),
         "--now", "2026-11-27T12:00:00Z"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "public" / "assets" / "style.css").is_file()
    assert (tmp_path / "out" / "strategic" / "index.html").is_file()
    fresh = tmp_path / "fresh"
    for command in (["init", str(fresh)], ["build", "--site", str(fresh)]):
        result = subprocess.run([sys.executable, "-m", "generator", *command], cwd=elsewhere, env=env,
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
    assert (fresh / ".github" / "workflows" / "status-page.yml").is_file()
    assert (fresh / "_site" / "public" / "index.html").is_file()


def test_version_and_help(capsys):
    from generator import __version__
    from generator.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"statusgen {__version__}"
    for command in ("build", "check"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--site" in capsys.readouterr().out
