"""Issue 15: lifecycle guard rails (reopen, amend), sign-off by role, the unapproved emergency exit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from test_build import OLD_RESOLVED

from conftest import NOW, html, incident, run

OPENED, RESOLVED = OLD_RESOLVED.values()


def _new(capsys: pytest.CaptureFixture[str], site: Path, *args: str) -> tuple[int, str, str]:
    return run(capsys, "new", *args, "--site", str(site))


def _update(capsys: pytest.CaptureFixture[str], site: Path, incident_id: str, *args: str) -> Path:
    """`new update` at 2026-11-27 with ``args``; asserts it worked and returns the file."""
    code, out, err = _new(capsys, site, "update", incident_id, *args)
    assert code == 0, err
    return Path(out.strip())


def _front(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text().split("---")[1])  # type: ignore[no-any-return]


def _resolved_incident(capsys: pytest.CaptureFixture[str], site: Path) -> str:
    code, out, err = _new(
        capsys, site, "incident", "--title", "API errors", "--impact", "major", "--components", "api",
        "--date", "2026-11-27T09:00:00Z",
    )  # fmt: skip
    assert code == 0, err
    incident_id = Path(out.strip()).parent.name
    code, _, err = _new(
        capsys, site, "update", incident_id, "--status", "resolved", "--date", "2026-11-27T09:30:00Z"
    )
    assert code == 0, err
    return incident_id


def test_new_update_refuses_a_second_resolved_and_an_unmarked_reopening(site, capsys):
    incident_id = _resolved_incident(capsys, site)
    folder = next(site.glob(f"content/incidents/{incident_id}"))
    before = sorted(folder.iterdir())
    code, _, err = _new(
        capsys, site, "update", incident_id, "--status", "resolved", "--date", "2026-11-27T10:00Z"
    )
    assert code == 1
    assert f"--status: incident {incident_id!r} is already resolved by 2026-11-27T0930-resolved.md" in err
    assert "use --amend" in err and "use --reopen" in err
    code, _, err = _new(
        capsys, site, "update", incident_id, "--status", "monitoring", "--date", "2026-11-27T10:00Z"
    )
    assert code == 1 and "add --reopen to open it again as 'monitoring'" in err
    code, _, err = _new(
        capsys, site, "update", incident_id, "--status", "resolved", "--reopen", "--date", "2026-11-27T10:00Z"
    )
    assert code == 1 and "--status: --reopen opens the incident again" in err
    code, _, err = _new(
        capsys,
        site,
        "update",
        incident_id,
        "--status",
        "identified",
        "--amend",
        "--date",
        "2026-11-27T10:00Z",
    )
    assert code == 1 and "--status: --amend adds a correction and keeps the incident resolved" in err
    assert "Traceback" not in err
    assert sorted(folder.iterdir()) == before  # nothing written


def test_reopen_and_amend_on_a_resolved_incident(site, capsys, tmp_path):
    incident_id = _resolved_incident(capsys, site)
    amended = _update(
        capsys, site, incident_id, "--status", "resolved", "--amend", "--date", "2026-11-27T09:40Z"
    )
    assert _front(amended)["status"] == "resolved" and "reopened" not in _front(amended)
    amended.write_text(
        re.sub(r"\[TODO[^\]]*\]", "Correction: it was the EU region only.", amended.read_text())
    )
    reopened = _update(
        capsys, site, incident_id, "--status", "identified", "--reopen", "--date", "2026-11-27T10:00Z"
    )
    assert _front(reopened)["reopened"] is True and _front(reopened)["status"] == "identified"
    for path in (site / "content/incidents" / incident_id).glob("*.md"):
        path.write_text(re.sub(r"\[TODO[^\]]*\]", "Filled in.", path.read_text()))
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 0, err

    out_dir = tmp_path / "out"
    code, _, err = run(capsys, "build", "--site", str(site), "--out", str(out_dir), "--now", NOW)
    assert code == 0, err
    public = out_dir / "public"
    page = html(public / "incidents" / incident_id / "index.html")
    facts = {d.dt.get_text(): d.dd.get_text(" ", strip=True) for d in page.select(".facts > div")}
    assert facts["Status"] == "Identified Reopened"
    heads = [u.select_one(".update-head").get_text(" ", strip=True) for u in page.select(".timeline .update")]
    assert heads[0].startswith("Identified Reopened") and not any("Reopened" in h for h in heads[1:])
    front = html(public / "index.html")
    assert "Reopened" in front.get_text()  # it is an active incident again
    feed = feedparser.parse((public / "history.atom").read_bytes())
    titles = [e.title for e in feed.entries if "API errors" in e.title]
    assert titles == [
        "Reopened: API errors",
        "Resolved: API errors",
        "Resolved: API errors",
        "Investigating: API errors",
    ]
    api = json.loads((public / "api/v2/incidents/unresolved.json").read_text())
    assert [(i["name"], i["status"]) for i in api["incidents"]] == [("API errors", "identified")]


def test_content_mistakes_in_the_lifecycle_are_reported_together(make_site, capsys):
    site = make_site(
        {
            "content/incidents/a/1.md": OPENED,
            "content/incidents/a/2.md": RESOLVED,
            "content/incidents/a/3.md": incident("2026-11-22T09:30:00Z", "monitoring", "Back?"),
            "content/incidents/b/1.md": OPENED,
            "content/incidents/b/2.md": incident("2026-11-20T09:00:00Z", "identified", reopened="true"),
            "content/incidents/c/1.md": OPENED,
            "content/incidents/c/2.md": incident("2026-11-20T09:00:00Z", "resolved", reopened="true"),
            "content/incidents/d/1.md": OPENED,
            "content/incidents/d/2.md": incident("2026-11-20T09:00:00Z", "monitoring", reopened="yes please"),
            "content/maintenance/m/1.md": incident(
                "2026-11-20T08:00:00Z",
                "scheduled",
                title="W",
                components=["api"],
                starts="2026-11-30T08:00:00Z",
                ends="2026-11-30T09:00:00Z",
                reopened="true",
            ),  # fmt: skip
        }
    )
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 1 and "Traceback" not in err
    lines = err.splitlines()
    assert (
        "content/incidents/a/3.md:1: status 'monitoring' after the incident was resolved (2.md, "
        "Nov 21, 2026, 10:30 CET): if it really is open again, add 'reopened: true' (statusgen new "
        "update ID --reopen writes it); if not, check this file's date (Nov 22, 2026, 10:30 CET)"
    ) in lines
    assert any(
        line.startswith("content/incidents/b/2.md:1: 'reopened: true' but no update before this one resolves")
        for line in lines
    )
    assert any(
        line.startswith("content/incidents/c/2.md:4: 'reopened: true' with status 'resolved'")
        for line in lines
    )
    assert "content/incidents/d/2.md:4: 'reopened' must be true or false, not 'yes please'" in lines
    assert any(line.startswith("content/maintenance/m/1.md:8: unknown key 'reopened'") for line in lines)
    assert lines[-1] == "statusgen: 5 problems."


def test_a_restricted_reopening_does_not_reopen_the_incident_for_the_public(make_site, build):
    site = make_site(
        {
            "content/incidents/a/1.md": OPENED,
            "content/incidents/a/2.md": RESOLVED,
            "content/incidents/a/3.md": incident(
                "2026-11-22T09:30:00Z", "identified", "CANARY-REOPEN", reopened="true", audience="strategic"
            ),
            # public again: after the public resolution, so it must say reopened too
            "content/incidents/a/4.md": incident("2026-11-23T09:30:00Z", "resolved", "Fixed again."),
        }
    )
    out = build(site)
    public, strategic = out / "public", out / "strategic"
    for path in public.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert b"CANARY-REOPEN" not in text and b"Reopened" not in text, path
    page = html(strategic / "incidents" / "a" / "index.html")
    heads = [u.select_one(".update-head").get_text(" ", strip=True) for u in page.select(".timeline .update")]
    assert [h.split(" ")[:2] for h in heads][:2] == [["Resolved", "Nov"], ["Identified", "Reopened"]]
    feed = feedparser.parse((strategic / "history.atom").read_bytes())
    assert "Reopened: Slow CDN" in [e.title for e in feed.entries]
    public_api = json.loads((public / "api/v2/incidents/a.json").read_text())
    assert public_api["incident"]["status"] == "resolved"
    assert len(public_api["incident"]["incident_updates"]) == 3


def test_a_restricted_resolution_never_shows_a_public_update_as_reopened(make_site, build):
    site = make_site(
        {
            "content/incidents/a/1.md": OPENED,
            "content/incidents/a/2.md": incident("2026-11-21T09:30:00Z", "resolved", audience="strategic"),
            "content/incidents/a/3.md": incident("2026-11-22T09:30:00Z", "monitoring", reopened="true"),
        }
    )
    out = build(site)
    for path in (out / "public").rglob("*"):
        if path.is_file():
            assert b"Reopened" not in path.read_bytes(), path
    assert "Reopened" in html(out / "strategic" / "incidents" / "a" / "index.html").get_text()


def test_future_dated_reopening_is_a_warning_in_check_and_not_silent(make_site, capsys):
    reopening = incident("2026-12-01T00:00:00Z", "monitoring", "Back.", reopened="true")
    site = make_site(
        {
            "content/incidents/a/1.md": OPENED,
            "content/incidents/a/2.md": RESOLVED,
            "content/incidents/a/3.md": reopening,
        }
    )
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 0, err
    assert (
        "content/incidents/a/3.md:1: warning: dated 2026-12-01T00:00+00:00, after now: when it comes due "
        "it reopens this incident, resolved by 2.md"
    ) in err
    # the case: an update dated in the future by mistake, without reopened
    (site / "content/incidents/a/3.md").write_text(reopening.replace("reopened: true\n", ""))
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert (
        code == 1 and "content/incidents/a/3.md:1: status 'monitoring' after the incident was resolved" in err
    )


APPROVERS = "templates:\n  approvers: [legal, leadership]\n"


def _check_fails(capsys: pytest.CaptureFixture[str], site: Path) -> str:
    """Run check on a site with problems; returns what it printed."""
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1 and "Traceback" not in err
    return err


def _with(site: Path, settings: str) -> None:
    site_yml = site / "site.yml"
    site_yml.write_text(re.sub(r"(?ms)^templates:\n.*", settings, site_yml.read_text()))


def test_sign_off_by_role(site, capsys):
    _with(site, APPROVERS)
    err = _check_fails(capsys, site)
    assert (
        "content/templates/investigating.md:1: template 'investigating' needs approval by legal, "
        "leadership; after review, run: statusgen approve investigating --by 'NAME' --role legal"
    ) in err
    code, _, err = run(capsys, "approve", "investigating", "--by", "Dana Li", "--site", str(site))
    assert code == 1 and "--role: say which role signs off: --role legal or --role leadership" in err
    code, _, err = run(
        capsys, "approve", "investigating", "--by", "Dana Li", "--role", "legl", "--site", str(site)
    )
    assert code == 1 and "--role: unknown approver role (templates.approvers) 'legl'" in err

    templates = sorted((site / "content/templates").glob("*.md"))
    for template in templates:
        assert (
            run(capsys, "approve", template.stem, "--by", "Dana Li", "--role", "legal", "--site", str(site))[
                0
            ]
            == 0
        )
    err = _check_fails(capsys, site)
    assert "template 'investigating' needs approval by leadership; after review" in err
    assert "needs approval by legal" not in err
    code, _, err = _new(capsys, site, "incident", "--title", "X", "--impact", "minor", "--components", "api")
    assert code == 1 and "template 'investigating' is not approved as it stands" in err

    for template in templates:
        assert (
            run(
                capsys,
                "approve",
                template.stem,
                "--by",
                "Sam Roe",
                "--role",
                "leadership",
                "--site",
                str(site),
            )[0]
            == 0
        )
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 0, err
    approvals = _front(site / "content/templates/investigating.md")["approvals"]
    assert {role: entry["by"] for role, entry in approvals.items()} == {
        "legal": "Dana Li",
        "leadership": "Sam Roe",
    }
    assert (
        run(capsys, "approve", "investigating", "--by", "Dana Lee", "--role", "legal", "--site", str(site))[0]
        == 0
    )
    approvals = _front(site / "content/templates/investigating.md")["approvals"]
    assert approvals["legal"]["by"] == "Dana Lee" and approvals["leadership"]["by"] == "Sam Roe"

    template = site / "content/templates/investigating.md"
    template.write_text(template.read_text().replace("We are investigating", "We look into"))
    err = _check_fails(capsys, site)
    assert (
        "template 'investigating' needs approval by legal, leadership (legal approved an earlier wording on"
        in err
    )


def test_approvers_settings_are_checked(site, capsys):
    _with(site, "templates:\n  require_approval: false\n  approvers: [legal, legal, Big Boss]\n")
    err = _check_fails(capsys, site)
    assert "site.yml:" in err and "approver 'legal' is listed twice" in err
    assert "each approver is a role like legal or leadership, not 'Big Boss'" in err
    assert "'approvers' needs approval: set require_approval to true or remove approvers" in err
    _with(site, "templates:\n  require_approval: true\n")
    code, _, err = run(
        capsys, "approve", "investigating", "--by", "Dana", "--role", "legal", "--site", str(site)
    )
    assert code == 1 and "--role: site.yml sets no templates.approvers; approve without --role" in err


def test_without_approvers_a_single_approval_still_works(site, capsys):
    _with(site, "templates:\n  require_approval: true\n")
    for template in (site / "content/templates").glob("*.md"):
        assert run(capsys, "approve", template.stem, "--by", "Dana Li", "--site", str(site))[0] == 0
    assert run(capsys, "check", "--site", str(site))[0] == 0


def test_unapproved_emergency_exit(site, capsys, tmp_path):
    _with(site, "templates:\n  require_approval: true\n")
    args = "incident --title X --impact minor --components api --date 2026-11-27T09:00Z".split()
    code, _, err = _new(capsys, site, *args, "--unapproved")
    assert code == 1 and "--reason: --unapproved needs --reason 'WHY'" in err
    code, _, err = _new(capsys, site, *args, "--reason", "legal asleep")
    assert code == 1 and "--reason: --reason goes with --unapproved" in err
    assert "in an emergency: --unapproved --reason 'WHY'" in err
    code, out, err = _new(capsys, site, *args, "--unapproved", "--reason", "Legal unreachable at 3am")
    assert code == 0, err
    written = Path(out.strip())
    assert _front(written)["unapproved_reason"] == "Legal unreachable at 3am"
    written.write_text(re.sub(r"\[TODO[^\]]*\]", "Filled in.", written.read_text()))
    relative = written.relative_to(site).as_posix()

    # build publishes it all the same: approval gates pull requests, never publishing
    code, _, err = run(capsys, "build", "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW)
    assert code == 0, err
    assert "unapproved_reason" not in (tmp_path / "out/public/index.html").read_text()
    # check lists it for the review once the templates are approved
    for template in (site / "content/templates").glob("*.md"):
        assert run(capsys, "approve", template.stem, "--by", "Dana Li", "--site", str(site))[0] == 0
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 0, err
    assert (
        f"{relative}:1: warning: written from unapproved template 'investigating' (reason: Legal "
        "unreachable at 3am); review the wording after the incident, then delete the 'unapproved_reason' line"
    ) in err
    # an approved template needs no exit: nothing unapproved to review
    code, out, err = _new(capsys, site, *args, "--unapproved", "--reason", "habit")
    assert code == 0, err
    assert "unapproved_reason" not in Path(out.strip()).read_text()
