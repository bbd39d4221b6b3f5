"""Issue 15, authoring: templates that publish as written, prompts answered by `new` (--set, or
on a terminal), and unfinished updates held back by build (check still fails on them)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.authoring.prompts import answer_prompts, audience_views, drop_optional, find_prompts
from generator.config import load_config
from generator.errors import Problems
from generator.markup import has_prompt

from conftest import NOW, html, run

REPO = Path(__file__).resolve().parent.parent
STARTER_TEMPLATES = REPO / "generator" / "starter" / "content" / "templates"


def new(capsys: pytest.CaptureFixture[str], site: Path, *args: str) -> tuple[int, str, str]:
    return run(capsys, "new", *args, "--site", str(site))


STATUSGEN_NEW = (sys.executable, "-m", "generator", "new")


def opening(title: str, impact: str) -> tuple[str, ...]:
    """`new` arguments that open an incident affecting the API."""
    return ("incident", "--title", title, "--impact", impact, "--components", "api")


def output_text(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(out.rglob("*")) if p.is_file())


# --- prompts -----------------------------------------------------------------------------------


def test_prompt_forms_and_what_answering_does():
    body = (
        "Public words.\n\n::: strategic\n**A:** [TODO(a): first]\n\n**B:** [TODO(b)?: second]\n\n"
        "**C:** [TODO?: third]\n\n**D:** [TODO: fourth]\n:::\n"
    )
    prompts = find_prompts(body)
    assert [(p.name, p.optional, p.question) for p in prompts] == [
        ("a", False, "first"),
        ("b", True, "second"),
        (None, True, "third"),
        (None, False, "fourth"),
    ]
    problems = Problems(Path("."))
    written = answer_prompts(body, {"a": "Answer A", "b": ""}, None, problems)
    assert not problems.items
    # a answered; b and c optional and left: gone with their lines; d required: kept
    assert written == "Public words.\n\n::: strategic\n**A:** Answer A\n\n**D:** [TODO: fourth]\n:::\n"
    assert has_prompt(written) and not has_prompt(written.replace("[TODO: fourth]", "x"))
    assert drop_optional("x\n\n[TODO?: y]\n\nz\n") == "x\n\nz\n"
    assert drop_optional("::: strategic\n[TODO?: y]\n\nz\n:::") == "::: strategic\nz\n:::"
    answer_prompts(body, {"nope": "x"}, None, problems)
    assert [str(p) for p in problems.items] == ["--set: unknown prompt name 'nope'; expected one of a, b"]


@pytest.mark.parametrize("form", ["[TODO: x]", "[TODO?: x]", "[TODO(name): x]", "[TODO(Odd Name)?: x]"])
def test_every_prompt_form_is_refused_by_check(site, capsys, form):
    path = site / "content" / "incidents" / "2026-11-27-thing" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        f"---\ndate: 2026-11-27T09:00:00Z\nstatus: investigating\ntitle: T\nimpact: minor\n"
        f"components: [api]\n---\nWords {form}\n"
    )
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 1
    assert "content/incidents/2026-11-27-thing/a.md:8: fill in or delete the template's prompt" in err


# --- templates that fit the moment -------------------------------------------------------------


def test_shipped_first_messages_publish_as_written(site, capsys, tmp_path):
    for name in ("investigating.md", "investigating-critical.md", "maintenance-scheduled.md"):
        assert (site / "content" / "templates" / name).read_bytes() == (STARTER_TEMPLATES / name).read_bytes()
    for impact in ("major", "critical"):
        code, out, err = new(
            capsys,
            site,
            *opening(f"Outage {impact}", impact),
            "--date",
            "2026-11-27T09:00:00Z",
        )
        assert code == 0, err
        text = Path(out.strip()).read_text()
        assert not has_prompt(text) and "note: fill in" not in err
        assert f"template: investigating{'-critical' if impact == 'critical' else ''}\n" in text
    code, out, err = new(
        capsys,
        site,
        "maintenance",
        "--title",
        "Upgrade",
        "--starts",
        "2026-11-28T02:00Z",
        "--ends",
        "2026-11-28T03:00Z",
        "--components",
        "api",
    )
    assert code == 0 and not has_prompt(Path(out.strip()).read_text())
    assert run(capsys, "check", "--site", str(site), "--now", NOW)[0] == 0
    code, _, err = run(capsys, "build", "--site", str(site), "--now", NOW, "--out", str(tmp_path / "out"))
    assert code == 0 and "warning: unfinished" not in err
    page = html(tmp_path / "out" / "public" / "index.html").get_text()
    assert "Outage major" in page and "Outage critical" in page


def test_impact_template_falls_back_to_the_stage_template(site, capsys):
    (site / "content" / "templates" / "investigating-critical.md").unlink()
    code, out, _ = new(
        capsys,
        site,
        *opening("X", "critical"),
    )
    assert code == 0 and "template: investigating\n" in Path(out.strip()).read_text()


def test_set_answers_named_prompts_and_mistakes_write_nothing(site, capsys):
    code, out, err = new(
        capsys,
        site,
        *opening("Logins", "major"),
        "--set",
        "symptoms=Logins fail for 30% of EU users",
        "--set",
        "workaround=",
    )
    assert code == 0, err
    text = Path(out.strip()).read_text()
    assert "**What we see:** Logins fail for 30% of EU users\n" in text and "Workaround" not in text
    before = sorted(site.rglob("*.md"))
    for args, message in (
        (
            ("--set", "symtoms=x"),
            "--set: unknown prompt name 'symtoms'; expected one of symptoms, workaround "
            "(did you mean 'symptoms'?)",
        ),
        (("--set", "no-equals"), "--set: 'no-equals': write NAME=TEXT"),
    ):
        code, _, err = new(capsys, site, *opening("Y", "minor"), *args)
        assert code == 1 and message in err and "Traceback" not in err, err
    assert sorted(site.rglob("*.md")) == before


def test_new_incident_opens_at_any_status(site, capsys):
    code, out, err = new(
        capsys,
        site,
        *opening("Found late", "minor"),
        "--status",
        "identified",
        "--set",
        "cause=A bad deploy.",
        "--date",
        "2026-11-27T09:00:00Z",
    )
    assert code == 0, err
    text = Path(out.strip()).read_text()
    assert "status: identified" in text and "A bad deploy." in text and not has_prompt(text)
    assert run(capsys, "check", "--site", str(site), "--now", NOW)[0] == 0
    code, _, err = new(
        capsys,
        site,
        *opening("Z", "minor"),
        "--template",
        "monitoring",
    )
    assert code == 1 and "use --status monitoring or another template" in err
    assert "new update ID" not in err


def test_edit_drops_the_optional_prompts_left(site, capsys, monkeypatch):
    monkeypatch.setenv("EDITOR", "sed -i 's/\\[TODO(workaround)?: [^]]*\\]/Restart the app./'")
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = new(capsys, site, *opening("E", "minor"), "--edit")
    assert code == 0, err
    text = Path(out.strip()).read_text()
    assert "**Workaround:** Restart the app.\n" in text
    assert "What we see" not in text and not has_prompt(text)


# --- held back: one unfinished file does not hold back the rest ---------------------------------

UPDATE = "---\ndate: {date}\nstatus: {status}\n{extra}---\n{body}\n"
FIRST = "title: {title}\nimpact: major\ncomponents: [api]\n"


def write(site: Path, incident: str, name: str, date: str, status: str, body: str, extra: str = "") -> Path:
    path = site / "content" / "incidents" / incident / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(UPDATE.format(date=date, status=status, extra=extra, body=body))
    return path


def test_unfinished_updates_are_held_back_from_every_output_and_check_fails(site, capsys, tmp_path):
    # An incident with a finished first update and an unfinished second one (canary everywhere).
    write(
        site,
        "2026-11-27-calm-one",
        "1.md",
        "2026-11-27T09:00:00Z",
        "investigating",
        "PUBLISHEDFIRST words.",
        FIRST.format(title="Calm one"),
    )
    second = write(
        site,
        "2026-11-27-calm-one",
        "2.md",
        "2026-11-27T09:30:00Z",
        "identified",
        "CANARYBODY [TODO: cause]\n\n::: strategic\nCANARYSTRATEGIC\n:::",
        "title: CANARYTITLE\nimpact: critical\ncomponents:\n  api: major_outage\n",
    )
    # An incident whose first update is unfinished: held back whole, its finished update too.
    opener = write(
        site,
        "2026-11-27-canaryid",
        "1.md",
        "2026-11-27T10:00:00Z",
        "investigating",
        "CANARYOPEN [TODO?: x]",
        FIRST.format(title="CANARYWHOLE"),
    )
    write(site, "2026-11-27-canaryid", "2.md", "2026-11-27T10:30:00Z", "monitoring", "CANARYLATER")
    # A restricted-only draft opens its audience's view, but the incident stands without it:
    # only the draft is held back, and the public incident is published (a draft the public
    # cannot see must not hide a public incident).
    write(
        site,
        "2026-11-27-restricted-draft",
        "1.md",
        "2026-11-27T10:00:00Z",
        "investigating",
        "PUBLICSTART",
        FIRST.format(title="Public start"),
    )
    write(
        site,
        "2026-11-27-restricted-draft",
        "0.md",
        "2026-11-27T09:59:00Z",
        "investigating",
        "CANARYR0 [TODO(x): y]",
        FIRST.format(title="CANARYR0T") + "audience: strategic\n",
    )

    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert code == 1 and "2026-11-27-calm-one/2.md:9: fill in or delete the template's prompt" in err

    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", "--site", str(site), "--now", NOW, "--out", str(out))
    assert code == 0, err
    assert (
        "content/incidents/2026-11-27-calm-one/2.md:9: warning: unfinished: a template prompt is not "
        "answered; held back from every audience (check fails on it)"
    ) in err
    assert (
        "content/incidents/2026-11-27-canaryid/1.md:8: warning: unfinished: a template prompt is not "
        "answered; held back from every audience with the whole incident, as it opens it"
    ) in err
    assert (
        "content/incidents/2026-11-27-restricted-draft/0.md:9: warning: unfinished: a template prompt is "
        "not answered; held back from every audience (check fails on it)"
    ) in err
    assert second.exists() and opener.exists()
    assert "Built 3 incidents" in stdout  # the example, calm-one and the restricted draft's incident
    everything = output_text(out)
    assert "PUBLISHEDFIRST" in everything and "PUBLICSTART" in everything
    for canary in ("CANARY", "canary"):
        assert canary not in everything
    # the state is the finished update's, as if the unfinished one did not exist
    summary = json.loads((out / "public" / "api" / "v2" / "summary.json").read_text())
    assert [i["impact"] for i in summary["incidents"]] == ["major", "major"]  # calm-one's stays major
    assert "Public start" in {i["name"] for i in summary["incidents"]}
    assert {c["status"] for c in summary["components"] if c["name"] == "API"} == {"partial_outage"}


def test_build_is_unchanged_when_nothing_is_unfinished(site, capsys, tmp_path):
    code, _, err = run(capsys, "build", "--site", str(site), "--now", NOW, "--out", str(tmp_path / "o"))
    assert code == 0 and "unfinished" not in err


# --- a responder at a terminal -----------------------------------------------------------------


class Terminal:
    """A command on a real pseudo-terminal: read until a text shows, type a line."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "dumb", "COLUMNS": "100"}
        env.pop("EDITOR", None)
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"waited for {text!r}; the terminal shows:\n{self.seen}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"ended before {text!r}; the terminal shows:\n{self.seen}")
            self.seen += chunk.decode(errors="replace").replace("\r\n", "\n")

    def line(self, text: str) -> None:
        os.write(self.master, text.encode() + b"\r")

    def wait(self) -> int:
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code


def test_a_responder_answers_the_prompts_at_a_terminal_and_the_acknowledgement_publishes(site, tmp_path):
    started = time.monotonic()
    term = Terminal(
        [
            *STATUSGEN_NEW,
            *opening("Logins failing", "major"),
        ],
        site,
    )
    term.expect("[1/2] **What we see:** ...")
    term.expect("> ")
    term.line("Logins fail for EU users")
    term.expect("[2/2] **Workaround:** ...")
    term.expect("optional: Enter leaves it out")
    term.line("")
    term.expect("Write this update? [Y/n]")
    public_view = term.seen.split("--- Public sees ---")[1].split("---")[0]
    assert "We are investigating a problem affecting API" in public_view
    assert "Logins fail" not in public_view  # the restricted block is not in the public view
    assert "Logins fail for EU users" in term.seen.split("sees ---")[2]
    term.line("")
    assert term.wait() == 0, term.seen
    written = next(site.glob("content/incidents/*-logins-failing/*-investigating.md"))
    assert "Workaround" not in written.read_text() and not has_prompt(written.read_text())
    subprocess.run(["git", "init", "-q"], cwd=site, check=True)
    subprocess.run(["git", "add", "-A"], cwd=site, check=True)
    subprocess.run(
        ["git", "-c", "user.name=R", "-c", "user.email=r@example.com", "commit", "-qm", "Ack"],
        cwd=site,
        check=True,
    )
    build = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--out", str(tmp_path / "out")],
        cwd=site,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    assert build.returncode == 0, build.stderr
    public = html(tmp_path / "out" / "public" / "index.html").get_text()
    assert "Logins failing" in public
    incident_page = next((tmp_path / "out" / "public").glob("incidents/*logins-failing*/index.html"))
    assert "We are investigating a problem affecting API" in html(incident_page).get_text()
    assert "Logins fail for EU users" not in output_text(tmp_path / "out" / "public")
    assert "Logins fail for EU users" in output_text(tmp_path / "out" / "strategic")
    print(f"scripted responder session: {seconds:.2f} s")
    assert seconds < 60


def test_a_required_prompt_must_be_answered_or_kept_at_a_terminal(site):
    term = Terminal(
        [
            *STATUSGEN_NEW,
            *opening("Later stage", "minor"),
            "--status",
            "identified",
        ],
        site,
    )
    term.expect("[1/3] **Cause:** ...")
    term.expect("> ")
    term.line("")
    term.expect("This one is required")
    term.line("TODO")
    term.expect("[2/3]")
    term.line("")
    term.expect("[3/3]")
    term.line("")
    term.expect("Write this update? [Y/n]")
    term.line("")
    term.expect("check fails on this file and build holds it back")
    assert term.wait() == 0, term.seen
    written = next(site.glob("content/incidents/*-later-stage/*-identified.md")).read_text()
    assert "[TODO(cause): one or two sentences" in written and "Impact since" not in written


def test_a_prompt_left_in_the_title_fails_check_as_build_holds_it_back(site, capsys):
    folder = site / "content/incidents/2026-11-27-x"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text(
        "---\ndate: 2026-11-27T08:00:00Z\nstatus: investigating\ntitle: '[TODO: what customers see]'\n"
        "impact: minor\ncomponents: []\n---\nWe are investigating.\n"
    )
    code, _, err = run(capsys, "check", "--site", str(site), "--now", NOW)
    assert (
        code == 1 and "content/incidents/2026-11-27-x/a.md:4: fill in or delete the template's prompt" in err
    )


def test_the_preview_shows_only_the_audiences_that_will_see_the_update(make_site):
    site = make_site()
    config = load_config(site, Problems(site))
    assert config is not None
    body = "Words.\n\n::: strategic\nMore.\n:::\n"
    assert [title for title, _ in audience_views(body, config)] == ["Public", "Strategic customers"]
    assert audience_views(body, config, "strategic") == [("Strategic customers", "Words.\n\nMore.")]
    assert [title for title, _ in audience_views(body, config, ["strategic"])] == ["Strategic customers"]
