"""The authoring workflow: init, message templates, new, approve, check in PRs, CI recipes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import feedparser
import pytest
import yaml

from generator.authoring.scaffold import STARTER
from generator.cli import _parser

from conftest import SITE_YML, dedent, html, run

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-27T12:00:00Z"


def new(capsys: pytest.CaptureFixture[str], site: Path, *args: str, fill_in: bool = True) -> Path:
    """Run `statusgen new`, then do what the writer does: answer the template's prompts."""
    code, out, err = run(capsys, "new", *args, "--site", str(site))
    assert code == 0, err
    path = Path(out.strip())
    if fill_in:
        path.write_text(re.sub(r"\[TODO(?:\([^)]*\))?\??:[^\]]*\]", "Filled in.", path.read_text()))
    return path


def test_init_new_updates_to_resolution_check_and_build(site, capsys, tmp_path):
    first = new(
        capsys,
        site,
        "incident",
        "--title",
        "API errors in {region}",
        "--impact",
        "major",
        "--components",
        "api,web",
        "--date",
        "2026-11-27T09:00:00Z",
    )
    assert first.parent.name == "2026-11-27-api-errors-in-region"
    assert first.name == "2026-11-27T0900-investigating.md"
    incident_id = first.parent.name
    for status, minute in (("identified", "20"), ("monitoring", "40"), ("resolved", "55")):
        path = new(
            capsys, site, "update", incident_id, "--status", status, "--date", f"2026-11-27T09:{minute}:00Z"
        )
        assert path.name == f"2026-11-27T09{minute}-{status}.md"
    assert run(capsys, "check", "--site", str(site), "--now", NOW)[0] == 0
    out = tmp_path / "out"
    assert run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)[0] == 0

    public = html(out / "public" / "incidents" / incident_id / "index.html")
    assert public.h1.get_text() == "API errors in {region}"  # placeholder-like text stays literal
    statuses = [u.select_one(".status").get_text() for u in public.select(".timeline .update")]
    assert statuses == ["Resolved", "Monitoring", "Identified", "Investigating"]
    first_update = public.select(".timeline .update")[-1].select_one(".body").get_text(" ", strip=True)
    assert first_update.startswith("We are investigating a problem affecting API and Web app.")
    assert "Next update" not in public.get_text()  # the template's strategic block
    strategic = html(out / "strategic" / "incidents" / incident_id / "index.html")
    assert "Next update: by Nov 27, 2026, 09:30 UTC" in strategic.get_text(" ", strip=True)
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in public.select(".facts > div")}
    assert facts["Impact"] == "Major impact" and facts["Duration"] == "55 min"

    feed = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert [e.title for e in feed.entries][:4] == [
        f"{s}: API errors in {{region}}" for s in ("Resolved", "Monitoring", "Identified", "Investigating")
    ]
    welcome = html(out / "public" / "index.html")
    assert welcome.select_one("#overall").get_text() == "All systems operational"


def test_init_writes_a_complete_site_and_never_overwrites(site, capsys):
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {
        "site.yml",
        ".gitignore",
        ".github/workflows/status-page.yml",
        ".github/workflows/check-status-page.yml",
        ".gitlab-ci.yml",
        "requirements.txt",
        "content/templates/investigating.md",
        "content/templates/resolved.md",
        "content/templates/maintenance-scheduled.md",
    } <= names
    assert yaml.safe_load((site / "site.yml").read_text())["title"] == "Acme Status"
    before = (site / "site.yml").read_text()
    (site / "site.yml").write_text(before + "# mine\n")
    code, _, err = run(capsys, "init", str(site))
    assert code == 1
    assert f"{site / 'site.yml'}: already exists; init never overwrites files" in err
    assert (site / "site.yml").read_text() == before + "# mine\n"


def test_maintenance_from_template(site, capsys, tmp_path):
    path = new(
        capsys,
        site,
        "maintenance",
        "--title",
        "Database upgrade",
        "--starts",
        "2026-12-05T02:00:00Z",
        "--ends",
        "2026-12-05T03:00:00Z",
        "--components",
        "api",
        "--date",
        "2026-11-27T09:00:00Z",
    )
    assert path.parent.name == "2026-12-05-database-upgrade"
    text = path.read_text()
    assert (
        'from <time datetime="2026-12-05T02:00:00Z">Dec 5, 2026, 02:00 UTC</time> to '
        '<time datetime="2026-12-05T03:00:00Z">Dec 5, 2026, 03:00 UTC</time>'
    ) in text.replace("\n", " ")
    out = tmp_path / "out"
    assert run(capsys, "build", "--site", str(site), "--out", str(out), "--now", NOW)[0] == 0
    assert html(out / "public" / "index.html").select_one("#upcoming-heading") is not None


def test_placeholder_values_are_substituted_once_and_literally(site, capsys):
    (site / "content/templates/investigating.md").write_text(
        "---\nkind: incident\nstatus: investigating\n---\n{title} / {components} / {unknown_thing}\n"
    )
    code, _, err = run(
        capsys,
        "new",
        "incident",
        "--site",
        str(site),
        "--title",
        "{components} {{site}}",
        "--impact",
        "minor",
        "--components",
        "api",
    )
    assert code == 1  # the template's unknown placeholder is a problem
    assert "content/templates/investigating.md:5: unknown placeholder '{unknown_thing}'" in err
    (site / "content/templates/investigating.md").write_text(
        "---\nkind: incident\nstatus: investigating\n---\n{title} / {components}\n"
    )
    path = new(
        capsys,
        site,
        "incident",
        "--title",
        "{components} {{site}}",
        "--impact",
        "minor",
        "--components",
        "api",
    )
    assert path.read_text().split("---\n")[-1] == "{components} {{site}} / API\n"


def test_approval_is_required_and_tied_to_the_wording(site, capsys):
    site_yml = site / "site.yml"
    site_yml.write_text(site_yml.read_text().replace("require_approval: false", "require_approval: true"))
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    assert (
        "content/templates/investigating.md:1: template 'investigating' is not approved; after review, "
        "run: statusgen approve investigating --by 'NAME'"
    ) in err
    code, _, err = run(
        capsys,
        "new",
        "incident",
        "--site",
        str(site),
        "--title",
        "X",
        "--impact",
        "minor",
        "--components",
        "api",
    )
    assert code == 1 and "template 'investigating' is not approved as it stands" in err

    for template in (site / "content/templates").glob("*.md"):
        assert run(capsys, "approve", template.stem, "--by", "Dana Li", "--site", str(site))[0] == 0
    assert run(capsys, "check", "--site", str(site))[0] == 0
    path = new(capsys, site, "incident", "--title", "X", "--impact", "minor", "--components", "api")
    assert "template: investigating" in path.read_text()

    template = site / "content/templates/investigating.md"
    template.write_text(template.read_text().replace("We are investigating", "We look into"))
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    assert "template 'investigating' changed since Dana Li approved it on" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["incident", "--title", "X", "--impact", "major", "--components", "apx"],
            "--components: unknown component 'apx'; expected one of api, auth, email, web "
            "(did you mean 'api'?)",
        ),
        (
            ["incident", "--title", "X", "--impact", "majr", "--components", "api"],
            "--impact: unknown impact 'majr'; expected one of none, minor, major, critical "
            "(did you mean 'major'?)",
        ),
        (
            ["incident", "--title", "X", "--impact", "major", "--components", "api", "--date", "yesterday"],
            "--date: invalid timestamp 'yesterday'; expected ISO 8601 like 2026-11-27T14:05:00+01:00",
        ),
        (
            ["update", "nosuch", "--status", "identified"],
            "incident-id: unknown incident or maintenance id 'nosuch'",
        ),
        (
            ["incident", "--title", "X", "--impact", "major", "--components", "api", "--template", "nope"],
            "--template: unknown template 'nope'",
        ),
        (
            [
                "incident",
                "--title",
                "X",
                "--impact",
                "major",
                "--components",
                "api",
                "--template",
                "maintenance-scheduled",
            ],
            "--template: template 'maintenance-scheduled' is for maintenance updates, not incident updates",
        ),
        (
            [
                "maintenance",
                "--title",
                "X",
                "--starts",
                "2026-12-05T03:00:00Z",
                "--ends",
                "2026-12-05T02:00:00Z",
                "--components",
                "api",
            ],
            "--ends: the window must end after it starts",
        ),
        (
            ["incident", "--title", "X", "--components", "api", "--template", "resolved"],
            "--template: template 'resolved' is for status 'resolved', not 'investigating'; use --status "
            "resolved or another template",
        ),
        (
            [
                "maintenance",
                "--title",
                "X",
                "--starts",
                "2026-12-05T02:00:00Z",
                "--ends",
                "2026-12-05T03:00:00Z",
                "--components",
                "api",
                "--template",
                "maintenance-completed",
            ],
            "--template: template 'maintenance-completed' is for status 'completed', not 'scheduled'; a "
            "maintenance window starts as 'scheduled': use a template for that stage, then add the "
            "'completed' update with `statusgen new update ID --status completed`",
        ),
        (
            ["incident", "--title", "X", "--components", "api"],
            "--impact: a new incident needs --impact (none, minor, major, critical)",
        ),
    ],
)
def test_new_reports_mistakes_and_writes_nothing(site, capsys, args, message):
    before = sorted(p for p in site.rglob("*"))
    code, _, err = run(capsys, "new", *args, "--site", str(site))
    assert code == 1
    assert message in err
    assert sorted(p for p in site.rglob("*")) == before


def test_template_prompts_must_be_answered_before_publishing(site, capsys):
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--site",
        str(site),
        "--title",
        "X",
        "--impact",
        "minor",
        "--components",
        "api",
        "--status",
        "identified",
    )
    path = Path(out.strip())
    assert code == 0 and f"{path}: note: fill in the [TODO: ...] prompts or delete them" in err
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    lines = path.read_text().split("\n")
    line = next(number for number, text in enumerate(lines, 1) if "[TODO(cause):" in text)
    relative = path.relative_to(site).as_posix()
    assert (
        f"{relative}:{line}: fill in or delete the template's prompt \"[TODO(cause): one or two sentences "
        "your customers' engineers will ...]\" before publishing"
    ) in err


@pytest.mark.parametrize("answers", [True, False])
def test_edit_opens_the_new_file_and_checks_it_afterwards(site, capsys, tmp_path, monkeypatch, answers):
    editor = tmp_path / "editor.sh"
    change = "sed -i 's/\\[TODO([a-z]*):[^]]*\\]/Done./g' \"$1\"" if answers else "true"
    editor.write_text(f"#!/bin/sh\n{change}\necho 'Edited by hand.' >> \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--site",
        str(site),
        "--title",
        "X",
        "--impact",
        "minor",
        "--components",
        "api",
        "--status",
        "identified",
        "--edit",
    )
    path = Path(out.strip())
    assert path.read_text().endswith("Edited by hand.\n")
    assert "[TODO(impact)?:" not in path.read_text()  # optional prompts left: gone
    assert code == (0 if answers else 1)
    assert ("fill in or delete the template's prompt" in err) is not answers
    assert "nothing was written" not in err


def test_edit_without_an_editor_still_writes_the_file(site, capsys, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--site",
        str(site),
        "--title",
        "X",
        "--impact",
        "minor",
        "--components",
        "api",
        "--edit",
    )
    assert Path(out.strip()).is_file()
    assert "note: set $EDITOR to edit it from here; the file is written" in err


def test_check_format_github_prints_annotations(site, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(site.parent))
    bad = site / "content/incidents/x/1.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("---\ndate: 2026-11-27T09:00:00Z\nstatus: investigatin\n---\n")
    code, out, err = run(capsys, "check", "--site", str(site), "--format", "github")
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=status/content/incidents/x/1.md,line=3,title=statusgen::unknown status "
        "'investigatin'; expected one of investigating, identified, monitoring, resolved "
        "(did you mean 'investigating'?)"
    )
    assert "content/incidents/x/1.md:3: unknown status" in err


def test_check_format_github_warns_about_held_updates(site, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(site))
    later = site / "content/incidents/later/1.md"
    later.parent.mkdir(parents=True)
    later.write_text(
        "---\ndate: 2027-01-01T09:00:00Z\nstatus: resolved\ntitle: T\nimpact: none\n"
        "components: []\n---\nSoon.\n"
    )
    code, out, _ = run(capsys, "check", "--site", str(site), "--format", "github", "--now", NOW)
    assert code == 0
    assert (
        "::warning file=content/incidents/later/1.md,line=1,title=statusgen::"
        "dated 2027-01-01T09:00+00:00, after now: held back until a "
        "build after that time"
    ) in out.splitlines()


def test_template_approval_never_blocks_a_build(site, capsys, tmp_path):
    site_yml = site / "site.yml"
    site_yml.write_text(site_yml.read_text().replace("require_approval: false", "require_approval: true"))
    assert run(capsys, "check", "--site", str(site))[0] == 1
    assert run(capsys, "build", "--site", str(site), "--out", str(tmp_path / "o"))[0] == 0


def _statusgen_commands(text: str) -> list[list[str]]:
    commands = []
    for line in text.splitlines():
        for match in re.finditer(r"statusgen ([a-z][^&|;\n\"'`]*)", line):
            words = shlex.split(match.group(1))
            if words and words[0] in ("build", "check", "init", "new", "approve", "notify"):
                commands.append(words)
    return commands


def test_ci_recipes_are_valid_yaml_with_real_commands_and_pinned_actions():
    recipes = [
        STARTER / "dot-github/workflows/status-page.yml",
        STARTER / "dot-github/workflows/check-status-page.yml",
        STARTER / "dot-gitlab-ci.yml",
        STARTER / "dot-pre-commit-config.yaml",
        REPO / ".pre-commit-hooks.yaml",
    ]
    seen = []
    for recipe in recipes:
        text = recipe.read_text()
        document = yaml.safe_load(text)
        assert document, recipe
        for words in _statusgen_commands(text):
            _parser().parse_args(words)  # exits (fails the test) on an unknown command or flag
            seen.append(words[0])
        for action in re.findall(r"uses:\s*(\S+)", text):
            assert re.search(r"@(v\d+\.\d+\.\d+|[0-9a-f]{40})$", action), f"{recipe}: unpinned {action}"
    assert {"check", "build", "notify"} <= set(seen)
    publish = yaml.safe_load((STARTER / "dot-github/workflows/status-page.yml").read_text())
    triggers = publish[True] if True in publish else publish["on"]  # YAML 1.1 reads `on` as true
    assert "schedule" in triggers and triggers["push"]["branches"] == ["main"]
    steps = publish["jobs"]["build"]["steps"]
    assert {"path": "_site/public"} == next(
        s["with"] for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact")
    )


def test_ci_recipes_notify_support_before_deploy_customers_after_and_keep_the_record():
    """build -> notify --before-deploy -> deploy -> notify --after-deploy; the record (in
    .statusgen-cache/) restored and saved by every job that notifies, even when a send failed."""
    publish = yaml.safe_load((STARTER / "dot-github/workflows/status-page.yml").read_text())
    jobs = publish["jobs"]
    assert publish["concurrency"] == {"group": "status-page", "cancel-in-progress": False}
    build = [s.get("run") or s.get("uses", "") for s in jobs["build"]["steps"]]
    order = [
        next(i for i, step in enumerate(build) if step.startswith(prefix))
        for prefix in ("actions/cache/restore", "statusgen build", "statusgen notify --before-deploy")
    ]
    assert order == sorted(order)
    notify_step = next(
        s
        for s in jobs["build"]["steps"]
        if s.get("run") == "statusgen notify --before-deploy --now last-build"
    )
    assert notify_step["continue-on-error"] is True  # a failed channel never holds up the deploy
    after = jobs["notify-customers"]
    assert set(after["needs"]) == {"deploy-public", "deploy-strategic"}
    assert any(s.get("run") == "statusgen notify --after-deploy --now last-build" for s in after["steps"])
    for job in (jobs["build"], after):
        saves = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache/save")]
        assert len(saves) == 1 and saves[0]["if"] == "${{ always() }}"
        assert "github.run_id" in saves[0]["with"]["key"]  # a new key each run, or it is never saved
    # One path list everywhere (it is part of the cache's version): the record, the caches and
    # the previous output, which incremental builds take unchanged pages from.
    caches = [
        s for job in jobs.values() for s in job["steps"] if s.get("uses", "").startswith("actions/cache")
    ]
    assert len(caches) == 4 and {s["with"]["path"] for s in caches} == {".statusgen-cache\n_site\n"}
    gitlab = yaml.safe_load((STARTER / "dot-gitlab-ci.yml").read_text())
    # GitLab's default stages run build, then deploy (the pages job), then .post.
    assert (gitlab["notify-internal"]["stage"], gitlab["pages"]["stage"]) == ("build", "deploy")
    assert gitlab["notify-internal"]["script"] == ["statusgen notify --before-deploy"]
    assert gitlab["notify-customers"]["stage"] == ".post"
    # Internal audiences are told before the build in this pipeline: the clock, not an old build.
    assert gitlab["notify-customers"]["script"] == ["statusgen notify --after-deploy --now last-build"]
    for job in (gitlab["notify-internal"], gitlab["pages"], gitlab["notify-customers"]):
        assert job["resource_group"] == "status-page"
        assert job["cache"]["when"] == "always" and job["cache"]["paths"] == [".statusgen-cache/", "_site/"]
    assert gitlab["notify-internal"]["allow_failure"] is True and gitlab["notify-customers"]["allow_failure"]


# A public update, then a strategic-only one whose words must not reach wider updates.
OPENED_THEN_RESTRICTED = {
    "content/incidents/errors/01.md": (
        "---\ndate: 2026-11-27T08:00:00Z\nstatus: investigating\ntitle: API errors\n"
        "impact: minor\ncomponents: [api]\n---\nLooking.\n"
    ),
    "content/incidents/errors/02.md": (
        "---\ndate: 2026-11-27T08:30:00Z\nstatus: identified\naudience: strategic\n"
        "title: SECRET-TITLE\nimpact: critical\ncomponents: {api: major_outage, cdn: major_outage}\n"
        "---\nFound it.\n"
    ),
}


def test_new_update_for_several_audiences_copies_only_what_all_of_them_read(make_site, capsys, tmp_path):
    """--audience a,b (or a template's audience: [a, b]) writes audience: [a, b]; its placeholders
    come only from updates that both may read, and the build shows it to both and no one else."""
    head = dedent(SITE_YML).split("audiences:")[0]
    site_yml = (
        f"{head}audiences:\n  - id: public\n    title: Public\n"
        "  - id: strategic\n    title: Strategic customers\n    includes: [public]\n"
        "  - id: support\n    title: Support\n    includes: [public]\n"
    )
    site = make_site(
        {
            **OPENED_THEN_RESTRICTED,
            "content/templates/identified.md": (
                "---\nkind: incident\nstatus: identified\naudience: [strategic, support]\n---\n"
                "Cause of {title} ({impact}).\n"
            ),
        },
        site_yml,
    )
    by_flag = new(
        capsys, site, "update", "errors", "--status", "identified", "--audience", "strategic, support",
        "--template", "identified", "--date", "2026-11-27T09:00:00Z",
    )  # fmt: skip
    by_template = new(
        capsys, site, "update", "errors", "--status", "identified", "--date", "2026-11-27T09:05:00Z"
    )
    for path in (by_flag, by_template):
        text = path.read_text()
        assert "audience:\n- strategic\n- support\n" in text and "Cause of API errors (Minor)." in text, text
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "build", "--site", str(site), "--out", str(out), "--now", "2026-11-27T10:00:00Z"
    )
    assert code == 0, err
    pages = {
        a: (out / a / "incidents/errors/index.html").read_text() for a in ("public", "strategic", "support")
    }
    assert "Cause of API errors" not in pages["public"]
    assert "Cause of API errors" in pages["strategic"] and "Cause of API errors" in pages["support"]
    assert "SECRET-TITLE" not in pages["support"]

    asked = ("update", "errors", "--status", "monitoring", "--audience", "support,staff")
    code, _, err = run(capsys, "new", *asked, "--site", str(site))
    assert code == 1 and "--audience: unknown audience 'staff'" in err, err
    for empty in (",", " ", ""):  # e.g. "$A,$B" with both unset: never public by accident
        code, _, err = run(capsys, "new", *asked[:-1], empty, "--site", str(site))
        assert code == 1 and "--audience: no audience id given" in err, (empty, err)
    template = site / "content/templates/identified.md"
    template.write_text(template.read_text().replace("[strategic, support]", "[]"))
    code, _, err = run(capsys, "check", "--site", str(site))
    assert (
        code == 1 and "content/templates/identified.md:4: 'audience' must be an audience id or a list" in err
    )


def test_next_update_can_be_written_while_earlier_prompts_are_open(site, capsys):
    first = new(
        capsys, site, "incident", "--title", "X", "--impact", "minor", "--components", "api", fill_in=False
    )
    second = new(capsys, site, "update", first.parent.name, "--status", "identified", fill_in=False)
    assert second.is_file()
    code, _, err = run(capsys, "check", "--site", str(site))
    # the first message publishes as written; the identified template asks for the cause
    assert code == 1 and err.count("fill in or delete the template's prompt") == 1


def test_new_says_when_an_update_is_held_or_an_incident_looks_like_another(site, capsys):
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--title",
        "Email delays",
        "--impact",
        "minor",
        "--components",
        "email",
        "--date",
        "2099-01-01T09:00:00Z",
        "--site",
        str(site),
    )
    assert code == 0
    path = out.strip()
    assert (
        f"{path}: note: dated Jan 1, 2099, 09:00 UTC, after now: check, build and serve hold it back "
        "until then" in err
    )
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--title",
        "Email delays",
        "--impact",
        "minor",
        "--components",
        "email",
        "--date",
        "2099-01-01T09:05:00Z",
        "--site",
        str(site),
    )
    assert code == 0 and out.strip().endswith("2099-01-01-email-delays-2/2099-01-01T0905-investigating.md")
    assert (
        "content/incidents/2099-01-01-email-delays has the same title and day; if this is the same "
        "incident, delete this new one and use: statusgen new update 2099-01-01-email-delays" in err
    )
    code, out, err = run(
        capsys,
        "new",
        "incident",
        "--title",
        "Web errors",
        "--impact",
        "minor",
        "--components",
        "web",
        "--site",
        str(site),
    )
    assert code == 0 and "note: dated" not in err and "same title" not in err


def test_resolved_template_names_every_component_the_incident_affected(site, capsys):
    first = new(
        capsys,
        site,
        "incident",
        "--title",
        "Errors",
        "--impact",
        "major",
        "--components",
        "api,web",
        "--date",
        "2026-11-27T09:00:00Z",
    )
    new(
        capsys,
        site,
        "update",
        first.parent.name,
        "--status",
        "monitoring",
        "--components",
        "api",
        "--date",
        "2026-11-27T09:30:00Z",
    )
    resolved = new(
        capsys,
        site,
        "update",
        first.parent.name,
        "--status",
        "resolved",
        "--date",
        "2026-11-27T10:00:00Z",
        fill_in=False,
    )
    assert "API and Web app" in resolved.read_text()


def test_placeholders_never_copy_a_restricted_update_into_a_wider_one(make_site, capsys, tmp_path):
    """{title}, {components}, {impact} and {start} come only from updates that every reader of
    the new file may read: a strategic-only update's words must not reach a public update."""
    site = make_site(
        {
            **OPENED_THEN_RESTRICTED,
            "content/templates/identified.md": (
                "---\nkind: incident\nstatus: identified\n---\n"
                "Cause of {title}: {components} ({impact}), since {start}.\n"
            ),
        }
    )
    public = new(capsys, site, "update", "errors", "--status", "identified", "--date", "2026-11-27T09:00:00Z")
    text = public.read_text()
    assert "SECRET-TITLE" not in text and "CDN" not in text and "Critical" not in text
    assert "Cause of API errors: API (Minor), since" in text
    strategic = new(
        capsys,
        site,
        "update",
        "errors",
        "--status",
        "identified",
        "--audience",
        "strategic",
        "--date",
        "2026-11-27T09:05:00Z",
    )
    assert "Cause of SECRET-TITLE: API and CDN (Critical)" in strategic.read_text()
    out = tmp_path / "out"
    assert (
        run(capsys, "build", "--site", str(site), "--out", str(out), "--now", "2026-11-27T10:00:00Z")[0] == 0
    )
    public_tree = b"".join(p.read_bytes() for p in (out / "public").rglob("*") if p.is_file())
    assert b"SECRET-TITLE" not in public_tree
