"""Help, README and starter files say the same thing as the code; setup warnings name their line."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml

from generator.authoring.advice import named_version, requirement_warnings, statusgen_requirements
from generator.authoring.scaffold import STARTER, requirement
from generator.cli import _parser, main
from generator.config import SITE_KEYS

from conftest import NOW, dedent

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    return README[start : README.index("\n## ", start + 1)]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Each command path and its --help text, from the CLI's own parser."""
    found = {path: parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(_commands(child, (*path, name)))
    return found


def _readme_cli_options() -> list[tuple[tuple[tuple[str, ...], ...], str]]:
    """(the commands it is for, --option) for every option the README's CLI reference names.

    A synopsis line names options of its own command; the `options:` line those of the `new`
    commands; a bullet (- `build`: ...) those of that command, or of one of its kinds.
    """
    helps = _commands(_parser())
    section = _section("CLI")
    opened = section.index("```\n") + 4
    block = section[opened : section.index("\n```", opened)]
    news = tuple(p for p in helps if len(p) == 2 and p[0] == "new")
    named = []
    for line in block.splitlines():
        words = line.split()
        if words and words[0] == "statusgen":
            path: tuple[str, ...] = ()
            for word in words[1:]:
                if (*path, word) not in helps:
                    break
                path = (*path, word)
            named += [((path,), option) for option in re.findall(r"--[a-z][a-z-]*", line)]
        elif words and words[0] == "options:":
            named += [(news, option) for option in re.findall(r"--[a-z][a-z-]*", line)]
    for command, text in re.findall(r"^- `(\w+)`:(.*?)(?=^- |^\S|\Z)", section, re.MULTILINE | re.DOTALL):
        paths = tuple(p for p in helps if p and p[0] == command)
        named += [(paths, option) for option in re.findall(r"--[a-z][a-z-]*", text)]
    return named


def test_every_option_the_readme_cli_reference_names_is_in_help():
    helps = _commands(_parser())
    named = _readme_cli_options()
    assert len(named) > 30 and ((("build",),), "--no-cache") in named
    # ("--help" on the synopsis line is the top-level parser's, like --version)
    missing = sorted(
        {
            (" ".join(paths[0]), option)
            for paths, option in named
            if not any(option in helps[path] for path in paths)
        }
    )
    assert not missing, f"named in README's CLI section but not in that command's --help: {missing}"


def test_new_help_names_templates_that_the_starter_has():
    helps = _commands(_parser())
    templates = {p.stem for p in (STARTER / "content" / "templates").glob("*.md")}
    for path in (("new", "incident"), ("new", "update"), ("new", "maintenance")):
        text = " ".join(helps[path].split())
        examples = re.findall(r"e\.g\. ([\w-]+)(?:; for maintenance ([\w-]+))?", text)
        assert examples, path
        for example in filter(None, examples[0]):
            assert example in templates, (path, example)


def test_every_key_the_config_loader_accepts_is_in_the_starter_site_yml():
    text = (STARTER / "site.yml").read_text(encoding="utf-8")
    assert len(SITE_KEYS) >= 13
    missing = [key for key in SITE_KEYS if not re.search(rf"^#? ?{key}:", text, re.MULTILINE)]
    assert not missing, f"keys site.yml accepts that the starter site.yml does not show: {missing}"
    # and the starter's uncommented keys are ones the loader accepts
    shown = yaml.safe_load(text.replace("{title}", "T"))
    assert set(shown) <= set(SITE_KEYS)


def test_starter_workflow_comment_cron_and_readme_agree():
    workflow = (STARTER / "dot-github" / "workflows" / "status-page.yml").read_text(encoding="utf-8")
    every = re.search(r'cron: "\*/(\d+) \* \* \* \*"', workflow).group(1)
    assert re.findall(r"every (\d+) minutes", workflow) == [every]
    deployment = _section("Deployment")
    assert f"every {every} minutes" in deployment
    gitlab = (STARTER / "dot-gitlab-ci.yml").read_text(encoding="utf-8")
    assert f"every {every} minutes" in gitlab


def test_starter_actions_are_pinned_releases_that_dependabot_keeps_current():
    uses = []
    for workflow in (STARTER / "dot-github" / "workflows").glob("*.yml"):
        uses += re.findall(r"uses: (\S+)", workflow.read_text(encoding="utf-8"))
    assert len(uses) >= 10
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)?@v\d+\.\d+\.\d+", use) for use in uses), uses
    dependabot = yaml.safe_load((STARTER / "dot-github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert {u["package-ecosystem"] for u in dependabot["updates"]} == {"github-actions", "pip"}


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("statusgen==0.1.0\n", "==0.1.0"),
        ("# pinned\nstatusgen == 0.2.0  # the release we use\n", "==0.2.0"),
        ("statusgen @ git+https://github.com/acme/statusgen@v0.3.1\n", "0.3.1"),
        ("statusgen @ git+https://github.com/acme/statusgen@0.3.1#egg=statusgen\n", "0.3.1"),
        ("statusgen @ git+https://github.com/acme/statusgen@main\n", None),
        ("statusgen @ git+https://github.com/acme/statusgen@4f3c2a9b1d7e\n", None),
        ("statusgen @ https://example.org/dist/statusgen-0.4.0-py3-none-any.whl\n", "0.4.0"),
        ("Status_Gen>=0.1\n", None),
    ],
)
def test_named_version_reads_requirements_like_pip(text, version):
    found = statusgen_requirements(text)
    if text.startswith("Status_Gen"):
        assert found == []  # another project's name, not statusgen's
        return
    assert len(found) == 1
    assert named_version(found[0][1]) == version


def test_requirements_naming_another_version_warn_with_their_line(tmp_path):
    (tmp_path / "requirements.txt").write_text("# CI\n-r other.txt\nstatusgen==0.1.0\n")
    assert [str(w) for w in requirement_warnings(tmp_path, "0.2.0")] == [
        "requirements.txt:3: installs statusgen ==0.1.0 in CI, but this is statusgen 0.2.0: CI would build "
        "with another version than the one you check with here"
    ]
    assert requirement_warnings(tmp_path, "0.1.0") == []
    (tmp_path / "requirements.txt").write_text("statusgen @ git+https://github.com/acme/statusgen@v0.1.0\n")
    assert len(requirement_warnings(tmp_path, "0.2.0")) == 1
    assert requirement_warnings(tmp_path, "0.1.0") == []
    (tmp_path / "requirements.txt").write_text("statusgen>=0.1,<0.3\n")
    assert requirement_warnings(tmp_path, "0.2.0") == []
    assert len(requirement_warnings(tmp_path, "0.3.0")) == 1


def test_requirement_written_by_init_follows_how_statusgen_was_installed():
    assert requirement("0.2.0", None) == ("statusgen==0.2.0", "")  # from a package index, by name
    git = {
        "url": "https://github.com/acme/statusgen",
        "vcs_info": {"vcs": "git", "commit_id": "4f3c2a9", "requested_revision": "v0.2.0"},
    }
    assert requirement("0.2.0", git) == ("statusgen @ git+https://github.com/acme/statusgen@4f3c2a9", "")
    release = {
        "url": "https://github.com/acme/statusgen/releases/download/v0.2.0/statusgen-0.2.0-py3-none-any.whl",
        "archive_info": {},
    }
    assert requirement("0.2.0", release)[0] == f"statusgen @ {release['url']}"
    line, note = requirement("0.2.0", {"url": "file:///home/me/statusgen", "dir_info": {"editable": True}})
    assert line == "statusgen @ git+https://github.com/OWNER/statusgen@v0.2.0"
    assert "file:///home/me/statusgen" in note and "CI cannot reach" in note


def test_check_warns_but_passes_on_a_placeholder_base_url_and_another_version(make_site, capsys):
    site = make_site(
        site_yml=dedent("""\
        title: T
        base_url: https://status.your-company.example/
        timezone: UTC
        audiences:
          - id: public
          - id: strategic
            base_url: https://status-strategic.your-company.example/
        """)
    )
    (site / "requirements.txt").write_text("statusgen==0.0.1\n")
    code = main(["check", "--site", str(site), "--now", NOW])
    err = capsys.readouterr().err.splitlines()
    assert code == 0
    assert err == [
        "requirements.txt:1: warning: installs statusgen ==0.0.1 in CI, but this is statusgen "
        f"{__import__('generator').__version__}: CI would build with another version than the one you "
        "check with here",
        "site.yml:2: warning: base_url is still the starter's placeholder "
        "https://status.your-company.example/; feed links, canonical URLs and the API point there "
        "until you set where this tree is published",
        "site.yml:7: warning: base_url is still the starter's placeholder "
        "https://status-strategic.your-company.example/; feed links, canonical URLs and the API point "
        "there until you set where this tree is published",
    ]
    code = main(["build", "--site", str(site), "--now", NOW])
    captured = capsys.readouterr()
    assert code == 0 and (site / "_site" / "public" / "index.html").is_file()
    assert "site.yml:2: warning: base_url is still the starter's placeholder" in captured.err
