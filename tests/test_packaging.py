"""What a user installs: the wheel, in a new virtual environment with nothing else, runs every command.

The development venv's editable install serves any module from the checkout, so a subpackage left
out of the wheel goes unnoticed there. These tests build the sdist and the wheel (the wheel from
the sdist), install the wheel with its dependencies into a fresh venv, and run statusgen from a
folder outside the repository with a clean environment. Set STATUSGEN_WHEEL (and optionally
STATUSGEN_SDIST) to test prebuilt files instead, as the release workflow does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.cli import _parser

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
IMPORT_DATA = REPO / "tests" / "data" / "import"


@dataclass
class Installed:
    wheel: Path
    venv: Path
    elsewhere: Path  # a folder outside the repository, the working directory of every command

    def run(self, *args: str, cwd: Path | None = None, python: bool = False) -> subprocess.CompletedProcess:
        """statusgen ARGS (or python -I ARGS) from the venv, with an environment that names nothing else."""
        bin_dir = self.venv / "bin"
        command = [str(bin_dir / "python"), "-I", *args] if python else [str(bin_dir / "statusgen"), *args]
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(self.elsewhere),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        }
        return subprocess.run(
            command,
            cwd=cwd or self.elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _built(out: Path) -> tuple[Path, Path | None]:
    """The wheel and sdist to test: STATUSGEN_WHEEL/STATUSGEN_SDIST, or built here (wheel from sdist)."""
    if os.environ.get("STATUSGEN_WHEEL"):
        sdist = os.environ.get("STATUSGEN_SDIST")
        return Path(os.environ["STATUSGEN_WHEEL"]).resolve(), Path(sdist).resolve() if sdist else None
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    return next(out.glob("statusgen-*.whl")), next(out.glob("statusgen-*.tar.gz"))


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path | None]:
    return _built(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(dists: tuple[Path, Path | None], tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(dists[0], tmp_path_factory.mktemp("isolated"))


def install(wheel: Path, root: Path) -> Installed:
    """A new venv (no system site-packages) holding only the wheel and its dependencies."""
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        env=pip_env,
        cwd=root,
        capture_output=True,
    )
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, env_dir, elsewhere)


def source_files() -> set[str]:
    """Every file the wheel must hold, found in the source tree (so a new module or subpackage counts)."""
    generator = REPO / "generator"
    modules = {
        f"generator/{p.relative_to(generator).as_posix()}"
        for p in generator.rglob("*.py")
        if "__pycache__" not in p.parts and "starter" not in p.relative_to(generator).parts
    }
    starter = {
        f"generator/{p.relative_to(generator).as_posix()}"
        for p in (generator / "starter").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    themes = REPO / "themes"
    theme = {
        f"generator/themes/{p.relative_to(themes).as_posix()}"
        for p in themes.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return modules | starter | theme


def subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path the CLI has (init, new incident, import cstate, ...), from the parser itself."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append((*path, name))
                found.extend(subcommands(child, (*path, name)))
    return found


def test_wheel_holds_every_module_theme_and_starter_file_and_nothing_else(dists):
    names = set(zipfile.ZipFile(dists[0]).namelist())
    expected = source_files()
    assert {
        "generator/importers/__init__.py",
        "generator/cli.py",
        "generator/starter/site.yml",
        "generator/themes/default/templates/base.html",
    } <= expected
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing}"
    extra = sorted(n for n in names - expected if not n.split("/")[0].endswith(".dist-info"))
    assert not extra, f"in the wheel but not part of statusgen: {extra}"


def test_sdist_holds_the_sources_and_no_tests_or_tools(dists):
    if dists[1] is None:
        pytest.skip("no sdist given (STATUSGEN_SDIST)")
    with tarfile.open(dists[1]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    sources = {
        f"generator/{p.relative_to(REPO / 'generator').as_posix()}"
        for p in (REPO / "generator").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    sources |= {
        f"themes/{p.relative_to(REPO / 'themes').as_posix()}"
        for p in (REPO / "themes").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sources | {"pyproject.toml", "setup.py", "README.md"} <= names
    assert not [n for n in names if n.split("/")[0] in ("tests", "bench", "scripts", "node_modules")]


def test_installed_from_the_wheel_alone(installed):
    where = installed.run("-c", "import generator; print(generator.__file__)", python=True)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.venv)
    site_packages = installed.run("-c", "import site; print('\\n'.join(site.getsitepackages()))", python=True)
    for folder in site_packages.stdout.split():
        assert not list(Path(folder).glob("__editable__*")), "an editable install is on the path"
    # Every module the installed package has imports with the installed dependencies alone.
    script = (
        "import importlib, pkgutil, generator\n"
        "names = [m.name for m in pkgutil.walk_packages(generator.__path__, 'generator.')\n"
        "         if m.name != 'generator.__main__']\n"
        "[importlib.import_module(n) for n in names]\nprint('\\n'.join(names))"
    )
    imported = installed.run("-c", script, python=True)
    assert imported.returncode == 0, imported.stderr
    modules = {
        ".".join(Path(name).with_suffix("").parts).removesuffix(".__init__")
        for name in source_files()
        if name.endswith(".py")
    }
    assert modules - {"generator.__main__"} <= {"generator", *imported.stdout.split()}


def test_every_command_and_its_help_runs(installed):
    version = installed.wheel.name.split("-")[1]
    result = installed.run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"statusgen {version}")
    result = installed.run("-m", "generator", "--help", python=True)
    assert result.returncode == 0 and "usage: statusgen" in result.stdout, result.stderr
    result = installed.run("--help")
    assert result.returncode == 0 and "usage: statusgen" in result.stdout, result.stderr
    paths = subcommands(_parser())
    assert ("new", "incident") in paths and ("import", "cstate") in paths
    for path in paths:
        result = installed.run(*path, "--help")
        assert result.returncode == 0, (path, result.stderr)
        assert f"usage: statusgen {' '.join(path)}" in result.stdout, path


def test_init_build_check_new_and_import_run_from_the_wheel(installed):
    site = installed.elsewhere / "my-status"
    steps = [
        ("init", str(site), "--title", "Acme Status"),
        ("build",),
        ("check",),
        ("import", "statuspage", str(IMPORT_DATA / "statuspage-synthetic")),
        ("import", "cstate", str(IMPORT_DATA / "jenkins-cstate")),
        ("build", "--out", str(installed.elsewhere / "out")),
        ("check", "--format", "github"),
        ("new", "incident", "--title", "Elevated API errors", "--impact", "major", "--components", "web"),
    ]
    results = []
    for step in steps:
        result = installed.run(*step, cwd=site if site.is_dir() else None)
        assert result.returncode == 0, (step, result.stderr)
        assert "Traceback" not in result.stderr, (step, result.stderr)
        results.append(result)
    assert (site / ".github" / "workflows" / "status-page.yml").is_file()
    assert (site / ".github" / "dependabot.yml").is_file()
    assert (site / "_site" / "public" / "index.html").is_file()
    assert "Imported from" in results[3].stdout and "Imported from" in results[4].stdout
    public = installed.elsewhere / "out" / "public"
    assert len(list((public / "incidents").iterdir())) > 3
    new_file = Path(results[-1].stdout.strip())
    assert new_file.is_file() and "status: investigating" in new_file.read_text()
    # The wheel was installed from a file, which CI cannot reach: requirements.txt must not name
    # a bare version (anyone could register it on an index), and init and check say what to do.
    requirements = (site / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if line and not line.startswith("#")] == [
        f"statusgen @ git+https://github.com/OWNER/statusgen@v{installed.wheel.name.split('-')[1]}"
    ]
    assert "requirements.txt: note: statusgen was installed from file://" in results[0].stderr
    assert "requirements.txt:6: warning: still points at the placeholder repository" in results[2].stderr
    assert "site.yml:9: warning: base_url is still the starter's placeholder" in results[1].stderr
    assert "::warning file=site.yml,line=9,title=statusgen::base_url is still" in results[6].stdout
