"""User errors (issue #2, section 6): every mistake is a ``path:line: message`` line on stderr,
all of them in one run, sorted, exit 1, no traceback, and nothing written.

Each test writes a small site inline, runs the real CLI (``generator.cli.main``) and compares
stderr line by line. ``problems()`` also runs ``statusgen check`` on the same site and asserts
it reports exactly the same lines and writes nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import Problem, log_line

from conftest import NOW, SITE_YML, incident

# A valid earliest update. Its lines: 1 '---', 2 date, 3 status, 4 title, 5 impact,
# 6 components, 7 '---', 8 'Body.'; text appended to it starts on line 9.
FIRST = incident(
    "2026-11-20T10:00:00Z", "investigating", title="API down", impact="major", components=["api"]
)
# A valid maintenance window's first update (same line layout: starts on 6, ends on 7).
WINDOW = """\
---
date: 2026-11-20T10:00:00Z
status: scheduled
title: Database upgrade
components: [api]
starts: 2026-12-01T10:00:00Z
ends: 2026-12-01T11:00:00Z
---
We upgrade the database.
"""
# SITE_YML has 19 lines; a key appended to it is on line 20.
NEXT_LINE = 20


# --------------------------------------------------------------------------- helpers


def summary(count: int) -> str:
    return f"statusgen: {count} problem{'s' if count != 1 else ''}; nothing was written."


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file and link under root with its content (a link: its target); links not followed."""
    result: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                result[key] = "-> " + os.readlink(path)
            elif path.is_file():
                result[key] = path.read_bytes()
            else:
                result[key] = "<dir>"
    return result


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    return code, capsys.readouterr().err.splitlines()


def problems(capsys: pytest.CaptureFixture[str], site: Path, now: str = NOW) -> list[str]:
    """Build and check a broken site; both must fail the same way and write nothing.

    Returns the problem lines (without the closing summary line), in the order printed.
    """
    out = site.parent / "out"
    before = snapshot(site)

    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", now)
    assert code == 1, err
    assert err, "a failed build must say why"
    assert err[-1] == summary(len(err) - 1), err
    assert not out.exists(), "a failed build must not create the output folder"
    assert not list(site.parent.glob(".out*")), "a failed build must not leave a staging folder"

    check_code, check_err = run(capsys, "check", "--site", str(site))
    assert check_code == 1, check_err
    assert check_err[:-1] == err[:-1], "check must report exactly what build reports"
    assert check_err[-1] == summary(len(err) - 1).replace("; nothing was written", "")

    assert snapshot(site) == before, "neither build nor check may write into the site"
    lines = err[:-1]
    assert lines == sorted(lines, key=_sort_key), "problems must come out sorted"
    return lines


def _sort_key(line: str) -> tuple[bool, str, int, str]:
    match = re.fullmatch(r"(.*?):(\d+): (.*)", line)
    assert match, f"not a path:line: message line: {line!r}"
    path, number, message = match.groups()
    return path != "site.yml", path, int(number), message  # site.yml first


def one_problem_matching(capsys: pytest.CaptureFixture[str], site: Path, pattern: str) -> str:
    """For the tests that pin the message but not (yet) the line: exactly one matching problem."""
    lines = problems(capsys, site)
    assert len(lines) == 1, lines
    assert re.fullmatch(pattern, lines[0]), lines[0]
    return lines[0]


def build_raises_nothing(capsys: pytest.CaptureFixture[str], site: Path) -> tuple[int, list[str]]:
    """Run build on a site with an unusual mistake; a traceback here fails the test."""
    out = site.parent / "out"
    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert not any("Traceback" in line for line in err)
    return code, err


# --------------------------------------------------------------------------- bad YAML


def test_bad_yaml_in_site_yml(make_site, capsys):
    site = make_site(
        site_yml="""\
        title: Example: Status
        base_url: https://status.example.com/
        timezone: UTC
    """
    )
    assert problems(capsys, site) == [
        "site.yml:1: invalid YAML: mapping values are not allowed in this context"
        " (a value containing ': ' needs quotes, like title: \"API: errors\")",
    ]


def test_bad_indentation_in_site_yml(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("  - id: web", " - id: web"))
    assert problems(capsys, site) == [
        "site.yml:8: invalid YAML: while parsing a block mapping, did not find expected key",
    ]


def test_bad_yaml_in_front_matter_counts_lines_in_the_file(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: investigating
        title: API down: again
        impact: major
        components: [api]
        ---
        Body.
    """
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:4: invalid YAML: mapping values are not allowed in this context"
        " (a value containing ': ' needs quotes, like title: \"API: errors\")",
    ]


def test_yaml_is_loaded_safely(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: investigating
        title: !!python/object/apply:os.system ["echo pwned"]
        impact: major
        components: [api]
        ---
        Body.
    """
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:4: invalid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'",
    ]


UNCLOSED_QUOTE = """\
---
date: 2026-11-20T10:00:00Z
status: investigating
title: "API down
impact: major
components: [api]
---
Body.
"""


def test_unclosed_quote_in_front_matter_is_reported(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": UNCLOSED_QUOTE})
    one_problem_matching(capsys, site, r"content/incidents/a/1\.md:\d+: invalid YAML: .*")


def test_unclosed_quote_in_front_matter_points_at_the_quote(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": UNCLOSED_QUOTE})
    one_problem_matching(capsys, site, r"content/incidents/a/1\.md:4: invalid YAML: .*")


def test_front_matter_that_is_not_a_mapping(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": "---\n- date\n- status\n---\nBody.\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:2: front matter must be a mapping of keys (date: ..., status: ...)",
    ]


def test_site_yml_that_is_not_a_mapping(make_site, capsys):
    site = make_site(site_yml="- title: Example\n")
    assert problems(capsys, site) == [
        "site.yml:1: site.yml must be a mapping of settings (title: ..., base_url: ...)",
    ]


def test_missing_site_yml(make_site, capsys):
    site = make_site()
    (site / "site.yml").unlink()
    assert problems(capsys, site) == [
        f"site.yml:1: no site.yml in {site.resolve()}; is --site pointing at your status site?",
    ]


# --------------------------------------------------------------------------- front matter fences


def test_missing_opening_fence(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST.removeprefix("---\n")})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:1: missing front matter: the file must start with a line '---'",
    ]


def test_front_matter_never_closed(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: investigating
        title: API down
        Body without a closing fence.
    """
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:1: front matter opened on line 1 is never closed with a line '---'",
    ]


# --------------------------------------------------------------------------- unknown keys, types


def test_unknown_keys_in_site_yml_with_suggestions(make_site, capsys):
    site = make_site(
        site_yml=SITE_YML.replace("    name: Web app", "    nmae: Web app").replace(
            "    title: Public", "    titel: Public"
        )
        + "histroy_days: 3\n"
    )
    top = (
        "expected one of title, base_url, timezone, language, description, logo, links, "
        "history_days, feed_size, author, theme, components, audiences, templates, uptime, sla"
    )
    assert problems(capsys, site) == [
        "site.yml:8: missing required key 'name' in components",
        "site.yml:9: unknown key in components 'nmae'; expected one of id, name, description, "
        "group, since, sla (did you mean 'name'?)",
        "site.yml:16: unknown key in audiences 'titel'; expected one of id, title, description, "
        "base_url, noindex, includes, sla_report, language, notify, notify_before_deploy "
        "(did you mean 'title'?)",
        f"site.yml:20: unknown key 'histroy_days'; {top} (did you mean 'history_days'?)",
    ]


def test_unknown_keys_in_front_matter_with_suggestion(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST.replace("impact:", "impcat:"),
            "content/maintenance/m/1.md": WINDOW.replace("ends:", "end:"),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:5: unknown key 'impcat'; expected one of date, status, title, "
        "impact, components, audience, template, template_version, reopened, unapproved_reason "
        "(did you mean 'impact'?)",
        "content/maintenance/m/1.md:7: unknown key 'end'; expected one of date, status, title, "
        "components, audience, starts, ends, template, template_version, unapproved_reason "
        "(did you mean 'ends'?)",
    ]


def test_wrong_types_in_site_yml(make_site, capsys):
    site = make_site(
        site_yml="""\
        title: Example Status
        base_url: /status
        timezone: Mars/Olympus
        history_days: two
        feed_size: 0
        links: support@example.com
        components: api
        audiences:
          - id: public
          - id: strategic
            noindex: "yes"
    """
    )
    assert problems(capsys, site) == [
        "site.yml:2: 'base_url' must be an absolute http(s) URL, not '/status'",
        "site.yml:3: unknown time zone 'Mars/Olympus'; use an IANA name like Europe/Berlin or UTC",
        "site.yml:4: 'history_days' must be a whole number, not 'two'",
        "site.yml:5: 'feed_size' must be between 1 and 1000, not 0",
        "site.yml:6: 'links' must be a list, not 'support@example.com'",
        "site.yml:7: 'components' must be a list, not 'api'",
        "site.yml:11: 'noindex' must be true or false, not 'yes'",
    ]


def test_mistakes_in_the_feed_author_are_reported_together(make_site, capsys):
    site = make_site(
        site_yml=SITE_YML
        + """\
author:
  email: ops at example.com
  uri: acme.example/ops
  url: https://acme.example/
"""
    )
    assert problems(capsys, site) == [
        f"site.yml:{NEXT_LINE + 1}: 'email' must be an address like ops@example.com, "
        "not 'ops at example.com'",
        f"site.yml:{NEXT_LINE + 1}: missing required key 'name' in author",
        f"site.yml:{NEXT_LINE + 2}: 'uri' must be an absolute http(s) URL, not 'acme.example/ops'",
        f"site.yml:{NEXT_LINE + 3}: unknown key in author 'url'; expected one of name, email, uri "
        "(did you mean 'uri'?)",
    ]
    site = make_site(site_yml=SITE_YML + "author: Acme Operations\n")
    assert problems(capsys, site) == [
        f"site.yml:{NEXT_LINE}: 'author' must be a mapping, not 'Acme Operations'"
    ]


def test_wrong_entries_in_site_yml_lists(make_site, capsys):
    site = make_site(
        site_yml=SITE_YML.replace("  - id: cdn", "  - cdn\n  - id: cdn")
        .replace("    title: Public", "    title: Public\n    noindex: false")
        .replace("    title: Strategic customers", "    title: Strategic customers\n    noindex: false")
    )
    assert problems(capsys, site) == [
        "site.yml:11: each entry of 'components' must be a mapping",
        "site.yml:21: a restricted audience is always noindex; remove 'noindex: false'",
    ]


def test_text_setting_of_the_wrong_type_is_reported(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("title: Example Status", "title: [Example]"))
    one_problem_matching(capsys, site, r"site\.yml:1: 'title' must be .*, not a list")


def test_text_setting_of_the_wrong_type_says_text(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("title: Example Status", "title: [Example]"))
    assert problems(capsys, site) == ["site.yml:1: 'title' must be text, not a list"]


def test_wrong_types_in_front_matter(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST.replace("title: API down", "title: ''").replace(
                'components: ["api"]', "components: api"
            ),
            "content/maintenance/m/1.md": WINDOW.replace(
                "components: [api]", "components: {api: major_outage}"
            ),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:4: 'title' must be non-empty text",
        "content/incidents/a/1.md:6: 'components' must be a list of component ids or a mapping id: state",
        "content/maintenance/m/1.md:5: 'components' must be a list of component ids",
    ]


# --------------------------------------------------------------------------- duplicates


def test_duplicate_key_in_site_yml(make_site, capsys):
    site = make_site(site_yml=SITE_YML + "title: Again\n")
    assert problems(capsys, site) == ["site.yml:20: duplicate key 'title' (first on line 1)"]


DUPLICATE_STATUS = FIRST.replace("title: API down", "title: API down\nstatus: resolved")


def test_duplicate_key_in_front_matter_is_reported_on_its_line(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": DUPLICATE_STATUS})
    one_problem_matching(
        capsys,
        site,
        r"content/incidents/a/1\.md:5: duplicate key 'status' "
        r"\(first on line \d+\)",
    )


def test_duplicate_key_in_front_matter_names_the_first_line(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": DUPLICATE_STATUS})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:5: duplicate key 'status' (first on line 3)",
    ]


def test_duplicate_component_and_audience_ids(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("id: cdn", "id: api").replace("id: strategic", "id: public"))
    assert problems(capsys, site) == [
        "site.yml:11: duplicate component id 'api' (first on line 5)",
        "site.yml:17: duplicate audience id 'public' (first on line 15)",
    ]


def test_bad_component_id(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("id: cdn", "id: Big CDN"))
    assert problems(capsys, site) == [
        "site.yml:11: component id 'Big CDN' must match [a-z0-9][a-z0-9-]*",
    ]


def test_component_listed_twice_in_an_update(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST.replace('["api"]', "[api, web, api]")})
    assert problems(capsys, site) == ["content/incidents/a/1.md:6: component 'api' is listed twice"]


# --------------------------------------------------------------------------- dates


def test_bad_dates(make_site, capsys):
    date = "2026-11-20T10:00:00Z"
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST.replace(date, "yesterday"),
            "content/incidents/b/1.md": FIRST.replace(date, "2026-02-30T10:00:00Z"),
            "content/incidents/c/1.md": FIRST.replace(date, "2026-11-20T25:00:00Z"),
            "content/incidents/d/1.md": FIRST.replace(date, "2026-11-20T10:00:00+25:00"),
            "content/maintenance/m/1.md": WINDOW.replace("2026-12-01T10:00:00Z", "soon"),
            "content/maintenance/n/1.md": WINDOW.replace("2026-12-01T11:00:00Z", "2026-12-01 11h"),
        }
    )
    iso = "expected ISO 8601 like 2026-11-27T14:05:00+01:00"
    assert problems(capsys, site) == [
        f"content/incidents/a/1.md:2: 'date': invalid timestamp 'yesterday'; {iso}",
        "content/incidents/b/1.md:2: 'date': invalid timestamp '2026-02-30T10:00:00Z': "
        "day is out of range for month",
        "content/incidents/c/1.md:2: 'date': invalid timestamp '2026-11-20T25:00:00Z': hour must be in 0..23",
        "content/incidents/d/1.md:2: 'date': invalid timestamp '2026-11-20T10:00:00+25:00': "
        "invalid UTC offset '+25:00'",
        f"content/maintenance/m/1.md:6: 'starts': invalid timestamp 'soon'; {iso}",
        f"content/maintenance/n/1.md:7: 'ends': invalid timestamp '2026-12-01 11h'; {iso}",
    ]


def test_missing_date_and_status(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": "---\ntitle: API down\n---\nBody.\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:1: missing required key 'date' (an ISO 8601 timestamp)",
        "content/incidents/a/1.md:1: missing required key 'status'; one of investigating, "
        "identified, monitoring, resolved",
    ]


def test_date_out_of_range_is_a_problem_not_a_traceback(make_site, capsys):
    site = make_site(
        {"content/incidents/a/1.md": FIRST.replace("2026-11-20T10:00:00Z", "0001-01-01T00:00:00+01:00")}
    )
    code, err = build_raises_nothing(capsys, site)
    assert code == 1
    assert err[0].startswith("content/incidents/a/1.md:2: 'date': ")


# --------------------------------------------------------------------------- unknown values


def test_unknown_status_impact_component_and_audience(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
            ---
            date: 2026-11-20T10:00:00Z
            status: resovled
            title: API down
            impact: huge
            components:
              - api
              - databse
            audience: strategc
            ---
            Body.
        """,
            "content/maintenance/m/1.md": WINDOW.replace("status: scheduled", "status: investigating"),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:3: unknown status 'resovled'; expected one of investigating, "
        "identified, monitoring, resolved (did you mean 'resolved'?)",
        "content/incidents/a/1.md:5: unknown impact 'huge'; expected one of none, minor, major, critical",
        "content/incidents/a/1.md:8: unknown component 'databse'; expected one of api, cdn, web",
        "content/incidents/a/1.md:9: unknown audience 'strategc'; expected one of public, "
        "strategic (did you mean 'strategic'?)",
        "content/maintenance/m/1.md:3: unknown status 'investigating'; expected one of scheduled, "
        "in_progress, verifying, completed, cancelled",
    ]


def test_unknown_component_state(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: investigating
        title: API down
        impact: major
        components:
          web: partial_outage
          api: major_outtage
        ---
        Body.
    """
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:8: unknown component state 'major_outtage'; expected one of "
        "operational, degraded_performance, partial_outage, major_outage (did you mean "
        "'major_outage'?)",
    ]


def test_component_list_of_mappings_is_a_problem_not_a_traceback(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: investigating
        title: API down
        impact: major
        components:
          - api: major_outage
        ---
        Body.
    """
        }
    )
    lines = problems(capsys, site)
    assert len(lines) == 1
    assert lines[0].startswith("content/incidents/a/1.md:7: ")


def test_unknown_audience_in_block(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST + "::: strategc\nSecret.\n:::\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:9: unknown audience 'strategc'; expected one of public, "
        "strategic (did you mean 'strategic'?)",
    ]


def test_unknown_theme_points_at_the_theme_key(make_site, capsys):
    site = make_site(site_yml=SITE_YML + "theme: fancy\n")
    assert problems(capsys, site) == [
        f"site.yml:{NEXT_LINE}: theme 'fancy' not found: expected a folder themes/fancy/",
    ]


def test_unknown_theme(make_site, capsys):
    site = make_site(site_yml=SITE_YML + "theme: fancy\n")
    one_problem_matching(
        capsys, site, r"site\.yml:\d+: theme 'fancy' not found: expected a folder themes/fancy/"
    )


def test_time_zone_that_is_a_tzdata_folder(make_site, capsys):
    site = make_site(site_yml=SITE_YML.replace("Europe/Berlin", "America"))
    assert problems(capsys, site) == [
        "site.yml:3: unknown time zone 'America'; use an IANA name like Europe/Berlin or UTC",
    ]


def test_huge_history_days_is_no_traceback(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST}, site_yml=SITE_YML + "history_days: 1000000\n")
    code, err = build_raises_nothing(capsys, site)
    assert code == 0 or err[0].startswith(f"site.yml:{NEXT_LINE}: 'history_days'"), err


# --------------------------------------------------------------------------- ::: blocks


def test_unclosed_block(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST + "::: strategic\nSecret.\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:9: '::: strategic' block is never closed; add a line ':::' after it",
    ]


def test_nested_block_left_open(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST + "::: strategic\nA\n::: public\nB\n:::\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:9: '::: strategic' block is never closed; add a line ':::' after it",
    ]


def test_stray_block_close(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST + "More.\n:::\n"})
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:10: ':::' closes no block; open one with '::: <audience>'",
    ]


# --------------------------------------------------------------------------- folders and files


@pytest.mark.parametrize("name", ["Bad_Name", "-dash-first", "a..b", "has space", "UPPER"])
def test_bad_incident_folder_names(make_site, capsys, name):
    site = make_site({f"content/incidents/{name}/1.md": FIRST})
    assert problems(capsys, site) == [
        f"content/incidents/{name}:1: incident folder name {name!r} must match [a-z0-9][a-z0-9-]* "
        "(lowercase letters, digits and dashes; it is the page's URL)",
    ]


def test_bad_maintenance_folder_name(make_site, capsys):
    site = make_site({"content/maintenance/Db_Upgrade/1.md": WINDOW})
    assert problems(capsys, site) == [
        "content/maintenance/Db_Upgrade:1: maintenance folder name 'Db_Upgrade' must match "
        "[a-z0-9][a-z0-9-]* (lowercase letters, digits and dashes; it is the page's URL)",
    ]


def test_dot_dot_folder_name_is_reported(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST, "content/incidents/..sneaky/1.md": FIRST})
    assert problems(capsys, site) == [
        "content/incidents/..sneaky:1: incident folder name '..sneaky' must match "
        "[a-z0-9][a-z0-9-]* (lowercase letters, digits and dashes; it is the page's URL)",
    ]


def test_bad_update_file_name(make_site, capsys):
    site = make_site({"content/incidents/a/my update.md": FIRST})
    assert problems(capsys, site) == [
        "content/incidents/a/my update.md:1: file name 'my update.md' must match "
        "[A-Za-z0-9][A-Za-z0-9._-]*.md (it is part of the update's permanent id)",
    ]


def test_stray_markdown_file_directly_in_content_folders(make_site, capsys):
    site = make_site({"content/incidents/stray.md": FIRST, "content/maintenance/window.md": WINDOW})
    assert problems(capsys, site) == [
        "content/incidents/stray.md:1: update files belong in a folder per incident: "
        "content/incidents/<incident-id>/stray.md",
        "content/maintenance/window.md:1: update files belong in a folder per maintenance: "
        "content/maintenance/<maintenance-id>/window.md",
    ]


def test_folder_without_updates(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/notes.txt": "Not an update.",
            "content/incidents/b/postmortem.md": "---\ndate: 2026-11-21T10:00:00Z\n---\nWe learned.\n",
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a:1: incident folder has no update files (*.md)",
        "content/incidents/b:1: incident has a postmortem but no updates",
    ]


def test_empty_files(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": "", "content/incidents/b/1.md": "\n   \n\n"})
    message = "empty file; an update needs front matter between '---' lines, then a body"
    assert problems(capsys, site) == [
        f"content/incidents/a/1.md:1: {message}",
        f"content/incidents/b/1.md:1: {message}",
    ]


def test_non_utf8_update_file_reports_the_line(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST})
    (site / "content/incidents/a/1.md").write_bytes(FIRST.encode() + b"Caf\xe9 is down.\n")
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:9: not valid UTF-8 text (invalid continuation byte); save the "
        "file as UTF-8",
    ]


def test_non_utf8_site_yml(make_site, capsys):
    site = make_site()
    (site / "site.yml").write_bytes(SITE_YML.replace("Web app", "Caf\xe9").encode("latin-1"))
    one_problem_matching(capsys, site, r"site\.yml:\d+: not valid UTF-8 text .*")


def test_non_utf8_site_yml_reports_the_line(make_site, capsys):
    site = make_site()
    (site / "site.yml").write_bytes(SITE_YML.replace("Web app", "Caf\xe9").encode("latin-1"))
    one_problem_matching(capsys, site, r"site\.yml:9: not valid UTF-8 text .*")


# --------------------------------------------------------------------------- earliest updates


def test_earliest_update_lacks_title_impact_components(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": incident("2026-11-20T10:00:00Z", "investigating", impact="major"),
            "content/incidents/a/2.md": incident(
                "2026-11-20T11:00:00Z", "resolved", title="API down", impact="major", components=["api"]
            ),
            "content/incidents/b/1.md": incident("2026-11-20T10:00:00Z", "investigating"),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:1: missing 'title', 'components': the earliest update of this "
        "incident must say what the incident is; it is dated Nov 20, 2026, 11:00 CET, before 2.md "
        "(Nov 20, 2026, 12:00 CET), which says it: check this file's date",
        "content/incidents/b/1.md:1: missing 'title', 'impact', 'components': the earliest update "
        "of this incident must say what the incident is",
    ]


def test_earliest_public_update_lacks_title_after_strategic_only_update(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": incident(
                "2026-11-20T10:00:00Z",
                "investigating",
                title="API down",
                impact="major",
                components=["api"],
                audience="strategic",
            ),
            "content/incidents/a/2.md": incident(
                "2026-11-20T11:00:00Z", "identified", impact="major", components=["api"]
            ),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/2.md:1: missing 'title': the earliest update of this incident that "
        "audience 'public' sees (the earlier ones are restricted) must say what the incident is",
    ]


def test_mistake_in_earliest_update_does_not_cascade(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST.replace("investigating", "investigatin"),
            "content/incidents/a/2.md": incident("2026-11-20T11:00:00Z", "resolved"),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:3: unknown status 'investigatin'; expected one of "
        "investigating, identified, monitoring, resolved (did you mean 'investigating'?)",
    ]


def test_maintenance_missing_starts_and_ends(make_site, capsys):
    site = make_site(
        {
            "content/maintenance/m/1.md": incident(
                "2026-11-20T10:00:00Z", "scheduled", title="Upgrade", components=["api"]
            )
        }
    )
    assert problems(capsys, site) == [
        "content/maintenance/m/1.md:1: missing 'starts', 'ends': the earliest update of this "
        "maintenance must say what the maintenance is",
    ]


def test_maintenance_ends_before_starts(make_site, capsys):
    site = make_site(
        {"content/maintenance/m/1.md": WINDOW.replace("2026-12-01T11:00:00Z", "2026-12-01T09:00:00Z")}
    )
    one_problem_matching(capsys, site, r"content/maintenance/m/1\.md:\d+: 'ends' must be after 'starts'")


def test_maintenance_ends_before_starts_points_at_ends(make_site, capsys):
    site = make_site(
        {"content/maintenance/m/1.md": WINDOW.replace("2026-12-01T11:00:00Z", "2026-12-01T09:00:00Z")}
    )
    assert problems(capsys, site) == ["content/maintenance/m/1.md:7: 'ends' must be after 'starts'"]


# --------------------------------------------------------------------------- themes


def test_broken_template_override(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST,
            "themes/default/templates/index.html": """\
            <!doctype html>
            <title>{{ site.title }}</title>
            <p>{{ overall_text }</p>
        """,
        }
    )
    assert problems(capsys, site) == [
        "themes/default/templates/index.html:3: template error: unexpected '}'",
    ]


def test_broken_template_in_a_named_theme(make_site, capsys):
    site = make_site(
        {"themes/fancy/templates/incident.html": "<!doctype html>\n{% endif %}\n"},
        site_yml=SITE_YML + "theme: fancy\n",
    )
    assert problems(capsys, site) == [
        "themes/fancy/templates/incident.html:2: template error: Encountered unknown tag 'endif'.",
    ]


UNDEFINED_NAME = {
    "content/incidents/a/1.md": FIRST,
    "themes/default/templates/index.html": "<!doctype html>\n<p>{{ no_such_name }}</p>\n",
}
MISSING_INCLUDE = {
    "content/incidents/a/1.md": FIRST,
    "themes/default/templates/index.html": '<!doctype html>\n{% include "nope.html" %}\n',
}

WRONG_TYPE = {
    "content/incidents/a/1.md": FIRST,
    "themes/default/templates/index.html": '<!doctype html>\n<p>{{ "%d"|format("x") }}</p>\n',
}


@pytest.mark.parametrize(
    "files, expected",
    [
        (
            UNDEFINED_NAME,
            "themes/default/templates/index.html:2: template error: 'no_such_name' is undefined",
        ),
        (MISSING_INCLUDE, "themes/default/templates/index.html:2: template not found: nope.html"),
        (
            WRONG_TYPE,
            "themes/default/templates/index.html:2: template error: TypeError: %d format: a real "
            "number is required, not str",
        ),
    ],
    ids=["undefined-name", "missing-include", "wrong-type"],
)
def test_template_override_failing_while_rendering(make_site, capsys, tmp_path, files, expected):
    site = make_site(files)
    out = tmp_path / "out"
    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert (code, err) == (1, [expected, summary(1)])
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize(
    "files", [UNDEFINED_NAME, MISSING_INCLUDE], ids=["undefined-name", "missing-include"]
)
def test_check_reports_template_override_failing_while_rendering(make_site, capsys, files):
    site = make_site(files)
    lines = problems(capsys, site)  # runs build and check; check must report what build reports
    assert len(lines) == 1 and lines[0].startswith("themes/default/templates/index.html:2: "), lines


# --------------------------------------------------------------------------- symlinks


def test_symlinks_out_of_the_site_are_refused(make_site, capsys, tmp_path):
    outside = tmp_path / "outside"
    (outside / "evil").mkdir(parents=True)
    (outside / "evil" / "1.md").write_text(FIRST, encoding="utf-8")
    (outside / "secret.md").write_text(FIRST, encoding="utf-8")
    site = make_site({"content/incidents/a/1.md": FIRST})
    (site / "content/incidents/evil").symlink_to(outside / "evil")
    (site / "content/incidents/a/2.md").symlink_to(outside / "secret.md")
    message = "symbolic link leads outside the site directory; refused"
    assert problems(capsys, site) == [
        f"content/incidents/a/2.md:1: {message}",
        f"content/incidents/evil:1: {message}",
    ]


def test_symlinks_inside_the_site_are_fine(make_site, build, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST, "drafts/b/1.md": FIRST})
    (site / "content/incidents/b").symlink_to(site / "drafts/b")
    out = build(site)
    assert (out / "public/incidents/b/index.html").is_file()


def test_content_folder_symlinked_out_of_the_site_is_refused(make_site, capsys, tmp_path):
    outside = tmp_path / "outside"
    (outside / "incidents/a").mkdir(parents=True)
    (outside / "incidents/a/1.md").write_text(FIRST, encoding="utf-8")
    site = make_site()
    (site / "content").symlink_to(outside)
    assert problems(capsys, site) == [
        "content:1: symbolic link leads outside the site directory; refused",
    ]


def test_site_yml_symlinked_out_of_the_site_is_refused(make_site, capsys, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST})
    shared = tmp_path / "shared.yml"
    (site / "site.yml").rename(shared)
    (site / "site.yml").symlink_to(shared)
    assert problems(capsys, site) == [
        "site.yml:1: symbolic link leads outside the site directory; refused",
    ]


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_broken_symlink_in_content_is_a_problem(make_site, capsys, kind):
    site = make_site({"content/incidents/a/1.md": FIRST})
    folder = site / "content/incidents/a"
    if kind == "dangling":
        (folder / "2.md").symlink_to(folder / "missing.md")
    else:
        (folder / "2.md").symlink_to(folder / "3.md")
        (folder / "3.md").symlink_to(folder / "2.md")
    lines = problems(capsys, site)
    assert lines and all(line.startswith("content/incidents/a/") for line in lines), lines


def test_folder_named_like_an_update_file(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST})
    (site / "content/incidents/a/2.md").mkdir()
    lines = problems(capsys, site)
    assert len(lines) == 1 and lines[0].startswith("content/incidents/a/2.md:1: "), lines


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "invalid timestamp 'yesterday'; expected ISO 8601 like 2026-11-27T14:05:00+01:00"),
        ("2026-13-01", "invalid timestamp '2026-13-01': month must be in 1..12"),
    ],
)
def test_bad_now_is_a_usage_error(make_site, capsys, tmp_path, value, reason):
    site = make_site({"content/incidents/a/1.md": FIRST})
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--site", str(site), "--out", str(out), "--now", value])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: argument --now: {reason}")
    assert not out.exists()


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_bad_jobs_is_a_usage_error(make_site, capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--site", str(make_site()), "--jobs", value])
    assert exit_info.value.code == 2
    assert f"argument --jobs: expected a whole number of at least 1, not {value!r}" in capsys.readouterr().err


def test_site_that_is_not_a_folder_is_a_usage_error(make_site, capsys):
    site = make_site()
    for target, what in ((site / "site.yml", "is a file"), (site / "nowhere", "does not exist")):
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "--site", str(target)])
        assert exit_info.value.code == 2
        assert f"--site {target} {what}; give the folder that holds site.yml" in capsys.readouterr().err


def test_out_folder_not_made_by_statusgen_is_refused(make_site, capsys, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST})
    out = tmp_path / "Documents"
    (out / "taxes").mkdir(parents=True)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "taxes" / "2025.pdf").write_bytes(b"%PDF-precious")
    before = snapshot(out)

    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert code == 1
    assert err == [
        f"{out}:1: output folder is not empty and was not made by statusgen; "
        "refusing to replace it (choose another --out or empty it)",
        summary(1),
    ]
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents", "site"]


def test_out_path_that_is_a_file_is_refused(make_site, capsys, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST})
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert (code, err) == (
        1,
        [f"{out}:1: output path exists and is not a folder; choose another --out", summary(1)],
    )
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_empty_or_statusgen_out_folder_is_accepted(make_site, build, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST})
    out = tmp_path / "out"
    out.mkdir()
    build(site, out)  # empty: fine
    build(site, out)  # made by statusgen: replaced
    assert (out / "public/index.html").is_file()


def test_refused_out_is_reported_with_the_other_problems(make_site, capsys, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST.replace("impact: major", "impact: majr")})
    out = tmp_path / "Documents"
    out.mkdir()
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert code == 1
    assert err == sorted(
        [
            f"{out}:1: output folder is not empty and was not made by statusgen; "
            "refusing to replace it (choose another --out or empty it)",
            "content/incidents/a/1.md:5: unknown impact 'majr'; expected one of none, minor, major, "
            "critical (did you mean 'major'?)",
        ]
    ) + [summary(2)]


# --------------------------------------------------------------------------- all at once

# Mistakes in seven files; the problems below are in the order they must be printed
# (site.yml first, then by path, then by line as a number: 3 before 12).
MANY_MISTAKES = {
    "content/incidents/a/1.md": FIRST.replace("investigating", "resovled")
    + "One.\nTwo.\nThree.\n::: strategic\nNever closed.\n",
    "content/incidents/b/1.md": FIRST.replace("title: API down", "title: API down: again"),
    "content/incidents/Bad_Name/1.md": FIRST,
    "content/maintenance/m/1.md": "",
    "content/maintenance/w/1.md": WINDOW.replace("components: [api]", "components: [api, dbb]"),
    "themes/default/templates/index.html": "<!doctype html>\n<title>{{ site.title }}</title>\n{% endif %}\n",
}
MANY_PROBLEMS = [
    "site.yml:20: unknown key 'histroy_days'; expected one of title, base_url, timezone, "
    "language, description, logo, links, history_days, feed_size, author, theme, components, audiences, "
    "templates, uptime, sla (did you mean 'history_days'?)",
    "content/incidents/Bad_Name:1: incident folder name 'Bad_Name' must match [a-z0-9][a-z0-9-]* "
    "(lowercase letters, digits and dashes; it is the page's URL)",
    "content/incidents/a/1.md:3: unknown status 'resovled'; expected one of investigating, "
    "identified, monitoring, resolved (did you mean 'resolved'?)",
    "content/incidents/a/1.md:12: '::: strategic' block is never closed; add a line ':::' after it",
    "content/incidents/b/1.md:4: invalid YAML: mapping values are not allowed in this context"
    " (a value containing ': ' needs quotes, like title: \"API: errors\")",
    "content/maintenance/m/1.md:1: empty file; an update needs front matter between '---' lines, then a body",
    "content/maintenance/w/1.md:5: unknown component 'dbb'; expected one of api, cdn, web",
    "content/maintenance/x/1.md:10: not valid UTF-8 text (invalid continuation byte); save the file as UTF-8",
    "themes/default/templates/index.html:3: template error: Encountered unknown tag 'endif'.",
]


def make_many_mistakes(make_site) -> Path:
    site = make_site(MANY_MISTAKES, site_yml=SITE_YML + "histroy_days: 3\n")
    non_utf8 = site / "content/maintenance/x/1.md"
    non_utf8.parent.mkdir(parents=True)
    non_utf8.write_bytes(WINDOW.encode() + b"Caf\xe9.\n")
    return site


def test_every_problem_in_one_run(make_site, capsys):
    site = make_many_mistakes(make_site)
    assert problems(capsys, site) == MANY_PROBLEMS


def test_failed_build_leaves_previous_output_intact(make_site, build, capsys, tmp_path):
    site = make_site({"content/incidents/a/1.md": FIRST})
    out = build(site, tmp_path / "out")
    before = snapshot(out)
    assert "public/incidents/a/index.html" in before

    make_many_mistakes(make_site)
    code, err = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)
    assert code == 1
    assert err == [*MANY_PROBLEMS, summary(len(MANY_PROBLEMS))]
    assert snapshot(out) == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["out", "site"], "no staging folder may be left behind"


def test_check_on_a_good_site_writes_nothing(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST, "content/maintenance/m/1.md": WINDOW})
    before = snapshot(site)
    code = main(["check", "--site", str(site)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    assert captured.out == f"{site.resolve()}: no problems (1 incident, 1 maintenance window)\n"
    assert snapshot(site) == before


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "check"])
def test_command_line_prints_problems_without_traceback(make_site, tmp_path, command):
    site = make_many_mistakes(make_site)
    args = [sys.executable, "-m", "generator", command, "--site", str(site)]
    if command == "build":
        args += ["--out", str(tmp_path / "out"), "--now", NOW]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    closing = summary(len(MANY_PROBLEMS))
    if command == "check":
        closing = closing.replace("; nothing was written", "")
    assert result.stderr.splitlines() == [*MANY_PROBLEMS, closing]
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_logo_must_be_a_url_or_a_file_in_the_site(make_site, capsys):
    site = make_site(site_yml=SITE_YML + "logo: ../outside.svg\n")
    (site.parent / "outside.svg").write_text("<svg/>")
    line = SITE_YML.count("\n") + 1
    assert problems(capsys, site) == [
        f"site.yml:{line}: logo '../outside.svg' must be an http(s) URL or an image file inside the site",
    ]


def test_impact_without_components_on_the_earliest_update(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": incident(
                "2026-11-27T08:00:00Z", "investigating", title="Down", impact="critical", components=[]
            )
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/1.md:1: 'components' is empty but impact is 'critical'; name the affected "
        "components (only impact 'none' may affect none)",
    ]


def test_components_without_a_value(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST,
            "content/incidents/a/2.md": "---\ndate: 2026-11-27T09:00:00Z\nstatus: identified\n"
            "components:\n---\n",
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/2.md:4: 'components' has no value; list component ids, or write [] for none",
    ]


@pytest.mark.parametrize(
    ("date", "what"), [("2026-03-29T02:30:00", "does not exist"), ("2026-10-25T02:45:00", "happens twice")]
)
def test_local_time_skipped_or_repeated_by_a_clock_change(make_site, capsys, date, what):
    site = make_site(
        {"content/incidents/a/1.md": FIRST.replace("date: 2026-11-20T10:00:00Z", f"date: {date}")}
    )
    assert problems(capsys, site) == [
        f"content/incidents/a/1.md:2: 'date': {date[:16]} {what} in Europe/Berlin (the clocks change "
        "then); write it with its UTC offset (+01:00 or +02:00)",
    ]


def test_window_must_hold_for_each_audience(make_site, capsys):
    site = make_site(
        {
            "content/maintenance/w/1.md": WINDOW,
            "content/maintenance/w/2.md": "---\ndate: 2026-11-21T08:00:00Z\nstatus: scheduled\n"
            "audience: strategic\nends: 2026-12-01T14:00:00Z\n---\n",
            "content/maintenance/w/3.md": "---\ndate: 2026-11-22T08:00:00Z\nstatus: scheduled\n"
            "starts: 2026-12-01T13:00:00Z\n---\n",
        }
    )
    out = problems(capsys, site)
    assert out == ["content/maintenance/w/3.md:1: 'starts' moves the window so that it ends before it starts"]


def test_control_character_is_reported_with_its_line(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST + "\nline two\fwith a form feed\n"})
    line = (FIRST + "\n").count("\n") + 1
    assert problems(capsys, site) == [
        f"content/incidents/a/1.md:{line}: invisible control character U+000C (pasted from another "
        "program?); delete it, feeds cannot carry it",
    ]


def test_yes_as_a_title_asks_for_quotes(make_site, capsys):
    site = make_site({"content/incidents/a/1.md": FIRST.replace("title: API down", "title: yes")})
    line = FIRST.split("\n").index("title: API down") + 1
    assert problems(capsys, site) == [
        f"content/incidents/a/1.md:{line}: 'title' must be non-empty text (YAML reads yes/no/on/off as "
        "true/false; put the text in quotes)",
    ]


def test_theme_symlink_out_of_the_site_is_refused(make_site, capsys):
    site = make_site()
    (site / "themes/default/static").mkdir(parents=True)
    (site / "themes/default/static/passwd.txt").symlink_to("/etc/passwd")
    assert problems(capsys, site) == [
        "themes/default/static/passwd.txt:1: symbolic link leads outside the site directory; refused",
    ]


def test_foreign_folder_in_the_way_of_the_staging_folder_is_kept(make_site, capsys):
    site = make_site()
    foreign = site.parent / ".out.staging"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    code, err = run(capsys, "build", "--site", str(site), "--out", str(site.parent / "out"), "--now", NOW)
    assert code == 1
    assert err[0] == (
        f"{foreign}:1: this folder is in the way of statusgen's own working folder and "
        "was not made by statusgen; move it or choose another --out"
    )
    assert (foreign / "mine.txt").read_text() == "keep me"


def test_files_that_would_be_silently_skipped_are_reported(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": FIRST,
            "content/incidents/a/2-resolved.MD": "---\n",
            "content/incidents/a/3.md.txt": "---\n",
            "content/incidents/a/notes.txt": "ignored on purpose",
            "content/incidents/a/drafts/4.md": "---\n",
            "content/incidnets/b/1.md": FIRST,
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/2-resolved.MD:1: not read: update files must end in .md (rename it to "
        "2-resolved.md)",
        "content/incidents/a/3.md.txt:1: not read: update files must end in .md (rename it to 3.md)",
        "content/incidents/a/drafts:1: update files in subfolders are not read; move them up one level",
        "content/incidnets:1: unknown folder in content/ 'incidnets'; expected one of incidents, "
        "maintenance, templates (did you mean 'incidents'?)",
    ]


def test_misspelled_content_folder(make_site, capsys):
    site = make_site({"Content/incidents/a/1.md": FIRST})
    assert problems(capsys, site) == ["Content:1: found Content/; the content folder must be named content/"]


def test_open_incident_left_without_components(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": incident(
                "2026-11-20T10:00:00Z", "investigating", title="Notice", impact="none", components=[]
            ),
            "content/incidents/a/2.md": incident("2026-11-20T11:00:00Z", "identified", impact="major"),
            "content/incidents/a/3.md": incident("2026-11-20T12:00:00Z", "resolved", components=[]),
        }
    )
    assert problems(capsys, site) == [
        "content/incidents/a/2.md:1: 'components' is empty but impact is 'major'; name the affected "
        "components (only impact 'none' may affect none)",
    ]


def test_folder_names_the_json_api_uses_are_reserved(make_site, capsys):
    site = make_site({"content/incidents/unresolved/1.md": FIRST})
    assert problems(capsys, site) == [
        "content/incidents/unresolved:1: incident folder name 'unresolved' is reserved (the JSON API uses "
        "it); choose another name",
    ]


def test_incident_and_maintenance_may_not_share_a_name(make_site, capsys):
    site = make_site({"content/incidents/db/1.md": FIRST, "content/maintenance/db/1.md": WINDOW})
    assert problems(capsys, site) == [
        "content/maintenance/db:1: an incident is named 'db' too; feeds and the JSON API identify both "
        "by name, so give the maintenance window another",
    ]


# ---- every printed line is one line of a CI log, never a workflow command -------------------------

HOSTILE_NAMES = [
    "x\n::error::injected",
    "x\r::add-mask::secret",
    "x\r\n::stop-commands::token",
    "x\n  ::warning::w",
    "x\x0b::error::vt",
    "x\x0c::error::ff",
    "x\x85::error::nel",
    "x\u2028::error::ls",
    "x\u2029::error::ps",
    "x\x1b[2K\x1b[1G::error::erased",
    "x ##[set-env name=PATH]/tmp",
    "x\u202e::error::rtl",
    "x\t::error::tab",
    "::error::leading",
]


def assert_log_safe(lines: list[str]) -> None:
    for line in lines:
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith("::") and "##[" not in line, repr(line)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("where", ["folder", "file"])
def test_hostile_file_names_cannot_inject_ci_log_lines(make_site, capsys, monkeypatch, name, where):
    path = f"content/incidents/{name}/a.md" if where == "folder" else f"content/incidents/ok/{name}.md"
    site = make_site(
        {path: incident("2026-11-20T10:00:00Z", "nope", title="T", impact="minor", components=["api"])}
    )
    monkeypatch.setenv("GITHUB_WORKSPACE", str(site))
    for command in (["check"], ["check", "--format", "github"], ["build", "--out", str(site.parent / "out")]):
        assert main([*command, "--site", str(site), "--now", NOW]) == 1
        captured = capsys.readouterr()
        err = captured.err.split("\n")
        assert err[-1] == "" and err[-2].startswith("statusgen: "), err
        assert_log_safe(err[:-1])
        assert len(err) - 2 >= 1 and all(line.startswith("content/incidents/") for line in err[:-2]), err
        if "github" in command:
            out = captured.out.split("\n")
            assert out[-1] == "" and len(out) - 1 == len(err) - 2, out
            assert all(line.startswith("::error file=content/incidents/") for line in out[:-1]), out
            for line in out[:-1]:  # the command and its properties end at the first "::"
                command_part = line[2 : line.index("::", 2)]
                assert re.fullmatch(r"error file=[^:,]+,line=\d+,title=statusgen", command_part), line


@pytest.mark.parametrize("text", [*HOSTILE_NAMES, "plain: path:3: message", "café ✓ 🙂", "  ::x::", "#[x] #"])
def test_log_line_makes_any_text_one_safe_line_and_is_idempotent(text):
    line = log_line(text)
    assert_log_safe([line])
    assert log_line(line) == line
    assert str(Problem(text, 3, text)) == log_line(f"{text}:3: {text}")
    if text.isprintable() and "##[" not in text and not text.lstrip().startswith("::"):
        assert line == text, "ordinary text is printed as it is"


# --- The audience graph ------------------------------------------------------------------------

GRAPH_AUDIENCES = """\
title: Example Status
base_url: https://status.example.com/
timezone: UTC
components:
  - id: api
    name: API
audiences:
  - id: public
  - id: support
  - id: executives
    includes: [support, business]
  - id: engineering
    includes: [support]
  - id: business
    includes: [public]
"""


def test_includes_mistakes_are_all_reported_at_their_lines(make_site, capsys):
    site_yml = GRAPH_AUDIENCES.replace(
        "includes: [support, business]", "includes: [support, finance, executives]"
    ).replace("includes: [public]\n", "includes: [engineering]\n")
    site_yml = site_yml.replace(
        "  - id: engineering\n    includes: [support]", "  - id: engineering\n    includes: [business]"
    )
    site_yml += "  - id: legal\n    includes: nobody, really\n"
    known = "expected one of public, support, executives, engineering, business, legal"
    circle = "audiences include each other in a circle"
    back = "an audience's includes must lead back to no one who includes it"
    assert problems(capsys, make_site(site_yml=site_yml)) == [
        "site.yml:11: audience 'executives' includes itself; remove it",
        f"site.yml:11: unknown audience 'finance'; {known}",
        f"site.yml:13: {circle} (engineering -> business -> engineering); {back}",
        f"site.yml:15: {circle} (business -> engineering -> business); {back}",
        f"site.yml:17: unknown audience 'nobody, really'; {known}",
    ]


def test_a_block_no_audience_can_see_is_an_error(make_site, capsys):
    body = "::: engineering\nNested.\n::: business\nNobody sees this.\n:::\n:::\n"
    files = {
        "content/incidents/a/1.md": FIRST + body,
        "content/incidents/a/2.md": incident(
            "2026-11-20T11:00:00Z",
            "identified",
            "::: engineering\nNobody either.\n:::",
            audience="executives",
        ),
    }
    assert problems(capsys, make_site(files, site_yml=GRAPH_AUDIENCES)) == [
        "content/incidents/a/1.md:11: no audience sees this block: '::: business' inside "
        "'::: engineering'; no audience is, or includes, one of every level's audiences "
        "(check the names, or site.yml's includes)",
        "content/incidents/a/2.md:6: no audience sees this block: '::: engineering' in a file "
        "for executives; no audience is, or includes, one of every level's audiences "
        "(check the names, or site.yml's includes)",
    ]


def test_several_audiences_in_a_marker_or_front_matter_are_each_checked(make_site, capsys):
    files = {
        "content/incidents/a/1.md": FIRST + "::: executives finance\nX\n:::\n::: support support\nY\n:::\n",
        "content/incidents/a/2.md": incident(
            "2026-11-20T11:00:00Z", "identified", audience="[support, finanse]"
        ),
        "content/incidents/a/3.md": incident(
            "2026-11-20T12:00:00Z", "identified", audience="[support, support]"
        ),
        "content/incidents/a/4.md": incident("2026-11-20T13:00:00Z", "identified", audience="[]"),
    }
    assert problems(capsys, make_site(files, site_yml=GRAPH_AUDIENCES)) == [
        "content/incidents/a/1.md:9: unknown audience 'finance'; expected one of public, support, "
        "executives, engineering, business",
        "content/incidents/a/1.md:12: audience 'support' is named twice in one marker",
        "content/incidents/a/2.md:4: unknown audience 'finanse'; expected one of public, support, "
        "executives, engineering, business",
        "content/incidents/a/3.md:4: audience 'support' is listed twice",
        "content/incidents/a/4.md:4: 'audience' has no value; name an audience (or a list of them), "
        "or delete the line to make this public",
    ]


def test_the_public_audience_includes_no_one(make_site, capsys):
    """What the first audience sees is published to everyone: including an audience there
    would publish that audience's blocks."""
    site_yml = GRAPH_AUDIENCES.replace("  - id: public\n", "  - id: public\n    includes: [engineering]\n")
    message = "the first audience is the public one: what it sees is published to everyone"
    assert [line.split(", so it")[0] for line in problems(capsys, make_site(site_yml=site_yml))] == [
        f"site.yml:9: {message}"
    ]


def test_no_includes_after_an_audience_that_says_its_own_is_an_error(make_site, capsys):
    """An external audience appended after an internal one would include it by default."""
    site_yml = GRAPH_AUDIENCES + "  - id: partners\n    title: Partners\n"
    assert problems(capsys, make_site(site_yml=site_yml)) == [
        "site.yml:16: audience 'partners' says no 'includes', so it would include 'business', "
        "listed before it, which says its own: write 'includes:' for 'partners' too "
        "(e.g. includes: [business])"
    ]


@pytest.mark.parametrize("value", ["[[strategic]]", "{strategic: 1}", "!!set {strategic: null}"])
def test_an_audience_that_is_not_a_list_of_names_is_an_error_not_a_traceback(make_site, capsys, value):
    second = incident("2026-11-20T11:00:00Z", "identified").replace("---\n", f"---\naudience: {value}\n", 1)
    lines = problems(
        capsys, make_site({"content/incidents/a/1.md": FIRST, "content/incidents/a/2.md": second})
    )
    assert len(lines) == 1 and lines[0].startswith("content/incidents/a/2.md:2: unknown audience"), lines
