"""`statusgen notify` against real receivers on 127.0.0.1: an HTTP server (Apprise's json:// and
ntfy://, and the Statuspage-shaped webhook) and an SMTP server (aiosmtpd, with a login)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.notify.channels import literal_secrets, redacted

from conftest import EXAMPLE_NOW, REPO, SITE_YML, dedent, incident, run
from receivers import HttpReceiver, SmtpReceiver

HOOK_TOKEN = "hooktoken-CANARY-7d1e2f"
SMTP_PASSWORD = "smtppass-CANARY-93ab"
AUDIENCES = ("public", "strategic")
KINDS = ("json", "statuspage", "ntfy", "email")


def channels(audience: str) -> str:
    """The four channel kinds for one audience (secrets and ports from the environment)."""
    return (
        f"      - url: json://127.0.0.1:${{HTTP_PORT}}/json/{audience}\n"
        f"      - webhook: http://127.0.0.1:${{HTTP_PORT}}/statuspage/{audience}?token=${{HOOK_TOKEN}}\n"
        f"      - url: ntfy://127.0.0.1:${{HTTP_PORT}}/{audience}-topic\n"
        f"      - url: mailto://statusgen:${{SMTP_PASSWORD}}@127.0.0.1:${{SMTP_PORT}}"
        f"?from=status@example.com&to={audience}@example.com&mode=insecure\n"
    )


def site_yml(public_extra: str = "", strategic_options: str = "") -> str:
    """The test site, both audiences with the four channels; ``public_extra``: more channels
    (list items indented by six spaces), ``strategic_options``: keys (indented by four)."""
    head = dedent(SITE_YML).split("audiences:")[0]
    return (
        f"{head}audiences:\n"
        f"  - id: public\n    title: Public\n    notify:\n{channels('public')}{public_extra}"
        "  - id: strategic\n    title: Strategic customers\n    base_url: https://strategic.example.com/\n"
        f"{strategic_options}    notify:\n{channels('strategic')}"
    )


NOW = "2026-11-27T12:00:00Z"
INCIDENT = {
    "content/incidents/api-errors/1.md": incident(
        "2026-11-27T08:00:00Z",
        "investigating",
        "We are looking into API errors.",
        title="API errors",
        impact="major",
        components={"api": "partial_outage"},
    ),
    "content/incidents/api-errors/2.md": incident(
        "2026-11-27T09:30:00Z",
        "identified",
        "A bad deploy.\n\n::: strategic\nStrategic detail words.\n:::\n",
    ),
    # Held back until 13:00: sent by the first run after that.
    "content/incidents/api-errors/3.md": incident("2026-11-27T13:00:00Z", "resolved", "Fixed."),
}


class Receivers:
    def __init__(self, http: HttpReceiver, smtp: SmtpReceiver):
        self.http, self.smtp = http, smtp

    def got(self, audience: str, kind: str) -> list[tuple[str, str]]:
        """(title, text) of each message one audience's channel of that kind received."""
        if kind == "json":
            return [(r.body["title"], r.body["message"]) for r in self.http.at(f"/json/{audience}")]
        if kind == "ntfy":
            return [(b["title"], b["message"]) for b in self.http.ntfy(f"{audience}-topic")]
        if kind == "statuspage":
            return [
                (r.body["incident"]["name"], json.dumps(r.body, ensure_ascii=False))
                for r in self.http.at(f"/statuspage/{audience}")
            ]
        return [(str(m["Subject"]), m.get_content()) for m in self.smtp.to(f"{audience}@example.com")]

    def counts(self) -> dict[tuple[str, str], int]:
        return {(a, k): len(self.got(a, k)) for a in AUDIENCES for k in KINDS}


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    http, smtp = HttpReceiver(), SmtpReceiver("statusgen", SMTP_PASSWORD)
    smtp.start()
    monkeypatch.setenv("HTTP_PORT", str(http.port))
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("HOOK_TOKEN", HOOK_TOKEN)
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    yield Receivers(http, smtp)
    http.stop()
    smtp.stop()


@pytest.fixture
def notify(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `statusgen notify` on a site; every output is kept for the secret checks."""
    outputs: list[str] = []

    def call(site: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
        code, out, err = run(capsys, "notify", "--site", str(site), "--now", now, *args)
        outputs.extend((out, err))
        return code, out, err

    call.outputs = outputs  # type: ignore[attr-defined]
    return call


def test_each_update_reaches_each_channel_once_across_runs_and_held_ones_when_due(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml())
    code, out, err = notify(site)
    assert code == 0, err
    assert "Notified 8 channels (16 messages sent)." in out
    for audience in AUDIENCES:
        for kind in ("json", "ntfy", "email"):
            got = receivers.got(audience, kind)
            assert [title for title, _ in got] == [
                "[Partial outage] API errors — Investigating",
                "[Partial outage] API errors — Identified",
            ], (audience, kind)
            text = got[1][1]
            assert "Status: Identified" in text and "Impact: Major" in text
            assert "Affected: API (partial outage)" in text
            assert f"https://{'strategic' if audience == 'strategic' else 'status'}.example.com/" in text
            assert "incidents/api-errors/" in text
        hooks = [r.body for r in receivers.http.at(f"/statuspage/{audience}")]
        assert [h["incident"]["status"] for h in hooks] == ["investigating", "identified"]
        assert set(hooks[1]) == {"meta", "page", "incident"}
        assert [u["status"] for u in hooks[1]["incident"]["incident_updates"]] == [
            "identified",
            "investigating",
        ]
        assert hooks[1]["page"]["status_indicator"] == "major"
    assert "Strategic customers only: Strategic detail words." in receivers.got("strategic", "json")[1][1]
    assert all("Strategic detail" not in text for _, text in receivers.got("public", "json"))

    before = receivers.counts()
    code, out, _ = notify(site)  # a scheduled rebuild: nothing new
    assert code == 0 and "(0 messages sent)" in out
    assert receivers.counts() == before

    code, out, _ = notify(site, now="2026-11-27T13:05:00Z")  # the held resolution is due
    assert code == 0 and "(8 messages sent)" in out
    assert all(
        receivers.got(a, k)[-1][0] in ("[Resolved] API errors", "API errors")
        for a in AUDIENCES
        for k in KINDS
    )
    assert receivers.counts() == {key: count + 1 for key, count in before.items()}
    notify(site, now="2026-11-27T13:10:00Z")
    assert receivers.counts() == {key: count + 1 for key, count in before.items()}


def test_a_failing_channel_stops_only_itself_and_is_retried_next_run(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml())
    receivers.http.failing.add("/statuspage/public")
    receivers.smtp.refusing = True
    code, out, err = notify(site)
    assert code == 1
    failed = [line for line in err.splitlines() if "notify failed" in line]
    assert len(failed) == 3, err
    assert all(re.match(r"site\.yml:\d+: notify failed: (public|strategic) -> ", line) for line in failed)
    assert any("webhook answered HTTP 500" in line and "2 messages not sent" in line for line in failed)
    assert receivers.got("public", "statuspage") == [] and receivers.got("public", "email") == []
    assert len(receivers.got("strategic", "statuspage")) == 2 and len(receivers.got("public", "json")) == 2
    assert "; 3 failed." in out

    receivers.http.failing.clear()
    receivers.smtp.refusing = False
    code, out, err = notify(site)
    assert code == 0, err
    assert "(6 messages sent)" in out
    assert set(receivers.counts().values()) == {2}
    notify(site)
    assert set(receivers.counts().values()) == {2}


def test_a_lost_record_resends_only_what_is_inside_the_horizon(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml())
    assert notify(site)[0] == 0
    record = site / ".statusgen-cache" / "notified.json"
    assert record.is_file()
    record.unlink()
    code, out, _ = notify(site, "--since", "3h")  # 09:00 on: only the 09:30 update again
    assert code == 0 and "(8 messages sent)" in out
    assert all(
        receivers.got(a, k)[-1][0].endswith("Identified") or k == "statuspage"
        for a in AUDIENCES
        for k in KINDS
    )
    assert set(receivers.counts().values()) == {3}


def test_maintenance_is_announced_then_started_and_ended_by_the_clock_and_postmortems_are_sent(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(
        {
            "content/maintenance/db/1.md": (
                "---\ndate: 2026-11-27T10:00:00Z\nstatus: scheduled\ntitle: DB upgrade\n"
                "starts: 2026-11-27T12:30:00Z\nends: 2026-11-27T13:30:00Z\ncomponents: [api]\n---\n"
                "We upgrade the database.\n"
            ),
            # Resolved before the horizon: only its postmortem, written since, is news.
            "content/incidents/old/1.md": incident(
                "2026-11-27T04:00:00Z",
                "resolved",
                "Done.",
                title="Old outage",
                impact="minor",
                components=["web"],
            ),
            "content/incidents/old/postmortem.md": "---\ndate: 2026-11-27T11:00:00Z\n---\nWhat happened.\n",
        },
        site_yml(),
    )
    steps = [
        (NOW, ["[Maintenance] DB upgrade — Scheduled", "[Postmortem] Old outage"]),
        ("2026-11-27T12:45:00Z", ["[Maintenance] DB upgrade — In progress"]),
        ("2026-11-27T14:00:00Z", ["[Maintenance] DB upgrade — Completed"]),
    ]
    expected: list[str] = []
    for now, titles in steps:
        assert notify(site, now=now)[0] == 0
        expected += titles
        for audience in AUDIENCES:
            assert [title for title, _ in receivers.got(audience, "json")] == expected
    started = receivers.got("public", "email")[2][1]
    assert "The maintenance window has started." in started and "Window: 2026-11-27 13:30 CET to" in started
    hooks = [r.body["incident"] for r in receivers.http.at("/statuspage/public")]
    assert [h["status"] for h in hooks] == ["scheduled", "postmortem", "in_progress", "completed"]
    assert hooks[0]["scheduled_for"] == "2026-11-27T12:30:00.000Z"


def test_channels_filter_by_component_and_event_kind(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    extra = (
        "      - url: json://127.0.0.1:${HTTP_PORT}/web-only\n        components: [web]\n"
        "      - url: json://127.0.0.1:${HTTP_PORT}/resolved-only\n        events: [incident_resolved]\n"
    )
    files = {
        "content/incidents/api/1.md": incident(
            "2026-11-27T08:00:00Z",
            "investigating",
            "API.",
            title="API down",
            impact="major",
            components=["api"],
        ),
        "content/incidents/api/2.md": incident("2026-11-27T09:00:00Z", "resolved", "API back."),
        "content/incidents/web/1.md": incident(
            "2026-11-27T10:00:00Z",
            "investigating",
            "Web.",
            title="Web slow",
            impact="minor",
            components=["web"],
        ),
    }
    site = make_site(files, site_yml(public_extra=extra))
    assert notify(site)[0] == 0
    assert [r.body["title"] for r in receivers.http.at("/web-only")] == [
        "[Degraded performance] Web slow — Investigating"
    ]
    assert [r.body["title"] for r in receivers.http.at("/resolved-only")] == ["[Resolved] API down"]


def test_an_edited_update_sends_nothing_unless_corrections_then_one_notice(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml())
    assert notify(site)[0] == 0
    update = site / "content/incidents/api-errors/2.md"
    update.write_text(update.read_text().replace("A bad deploy.", "A bad config push."))
    before = receivers.counts()
    code, out, err = notify(site)
    assert code == 0 and receivers.counts() == before
    assert "1 message edited since sent, not resent (--corrections" in err
    code, out, _ = notify(site, "--corrections")
    assert code == 0 and "(8 messages sent)" in out
    for audience in AUDIENCES:
        title, text = receivers.got(audience, "json")[-1]
        assert title == "[Corrected] [Partial outage] API errors — Identified"
        assert "A bad config push." in text and "This corrects the message sent 2026-11-27T12:00:00Z" in text
    notify(site, "--corrections")
    assert receivers.counts() == {key: count + 1 for key, count in before.items()}


def test_renaming_a_component_or_moving_the_site_is_no_edit_of_what_was_sent(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    """Only what the writers said counts as an edit: site.yml's names, links and audience titles
    change the words around it, and --corrections must not send a notice for each message."""
    site = make_site(INCIDENT, site_yml())
    assert notify(site)[0] == 0
    before = receivers.counts()
    config = site / "site.yml"
    text = config.read_text()
    renamed = text.replace("name: API", "name: REST API").replace(
        "title: Strategic customers", "title: Key accounts"
    )
    moved = renamed.replace("https://status.example.com", "https://status.example.org")
    assert moved.count("REST API") == 1 and "Key accounts" in moved and "example.org" in moved
    config.write_text(moved)
    code, out, err = notify(site, "--corrections")
    assert code == 0 and receivers.counts() == before and "edited" not in err, err

    # A record written by an older statusgen (digests of the message's words) is read, not
    # taken as every message edited.
    record = site / ".statusgen-cache" / "notified.json"
    data = json.loads(record.read_text())
    assert data["version"] == 2
    data["version"] = 1
    for channels in data["sent"].values():
        for events in channels.values():
            for entry in events.values():
                entry["digest"] = "0123456789abcdef"
    record.write_text(json.dumps(data))
    code, out, err = notify(site, "--corrections")
    assert code == 0 and receivers.counts() == before and "edited" not in err, err
    # ... and that run gave its entries this version's digests: a real edit is seen from then on.
    assert json.loads(record.read_text())["version"] == 2
    update = site / "content/incidents/api-errors/2.md"
    update.write_text(update.read_text().replace("A bad deploy.", "A bad config push."))
    code, out, err = notify(site, "--corrections")
    assert code == 0 and "(8 messages sent)" in out, (out, err)


def test_secrets_come_from_the_environment_and_never_show(
    make_site: Callable[..., Path],
    receivers: Receivers,
    notify: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = make_site(INCIDENT, site_yml())
    code, out, _ = notify(site, "--dry-run")
    assert code == 0 and "${HOOK_TOKEN}" in out and "${SMTP_PASSWORD}" in out
    assert receivers.counts() == {key: 0 for key in receivers.counts()}
    assert not (site / ".statusgen-cache" / "notified.json").exists()

    monkeypatch.delenv("HOOK_TOKEN")
    code, out, err = notify(site)
    assert code == 1
    failed = [line for line in err.splitlines() if "notify failed" in line]
    assert len(failed) == 2, err
    assert all("${HOOK_TOKEN} is not set in the environment" in line for line in failed)
    assert len(receivers.got("public", "json")) == 2 and receivers.got("public", "statuspage") == []

    monkeypatch.setenv("HOOK_TOKEN", HOOK_TOKEN)
    assert notify(site)[0] == 0
    assert set(receivers.counts().values()) == {2}
    assert receivers.http.at("/statuspage/public")[0].path.endswith(f"token={HOOK_TOKEN}")  # really expanded
    shown = "\n".join([*notify.outputs, (site / ".statusgen-cache" / "notified.json").read_text()])  # type: ignore[attr-defined]
    for secret in (HOOK_TOKEN, SMTP_PASSWORD, "CANARY"):
        assert secret not in shown


def test_before_deploy_and_after_deploy_split_the_audiences(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml(strategic_options="    notify_before_deploy: true\n"))
    assert notify(site, "--before-deploy")[0] == 0
    assert {k: v for k, v in receivers.counts().items() if v} == {("strategic", k): 2 for k in KINDS}
    assert notify(site, "--after-deploy")[0] == 0
    assert set(receivers.counts().values()) == {2}


def test_now_last_build_tells_only_what_the_last_build_published(
    make_site: Callable[..., Path],
    receivers: Receivers,
    notify: Callable[..., tuple[int, str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The update held until 13:00 is not told by a notify run after 13:00 that follows a build
    made at 12:00: its page is not live yet. The next build's notify tells it."""
    site = make_site(INCIDENT, site_yml())
    code, _, err = notify(site, "--after-deploy", now="last-build")
    assert code == 1 and "--now last-build: no build of this site is recorded" in err
    assert "Traceback" not in err and set(receivers.counts().values()) == {0}

    code, _, err = run(capsys, "build", "--site", str(site), "--now", "2026-11-27T12:00:00Z")
    assert code == 0, err
    assert notify(site, "--after-deploy", now="last-build")[0] == 0
    assert set(receivers.counts().values()) == {2}  # the two updates published at 12:00, not the third

    code, _, err = run(capsys, "build", "--site", str(site), "--now", "2026-11-27T13:05:00Z")
    assert code == 0, err
    assert notify(site, "--after-deploy", now="last-build")[0] == 0
    assert set(receivers.counts().values()) == {3}
    assert receivers.got("public", "json")[-1][0].startswith("[Resolved]")

    # Without --now, a build records the clock's reading (to the second) for the same purpose.
    code, _, err = run(capsys, "build", "--site", str(site))
    recorded = json.loads((site / ".statusgen-cache" / "last-build.json").read_text())["now"]
    assert code == 0 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", recorded), (err, recorded)


def test_the_example_dry_run_prints_every_channel_without_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "notify", "--site", str(REPO), "--dry-run", "--now", EXAMPLE_NOW)
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    assert [h.split(" -> ")[0][3:] for h in headers] == [
        "public",
        "strategic",
        "strategic",
        "support",
        "business",
        "executives",
        "engineering",
    ]
    assert "(reads ${STRATEGIC_WEBHOOK_TOKEN})" in out and "(reads ${SUPPORT_SLACK_WEBHOOK})" in out
    assert "Elevated API error rates in Frankfurt" in out and "nothing sent or recorded" in out
    # Each audience in its own words: the executives' escalation line reaches only the executives.
    escalation = "Nordwind Logistics and Helios Bank asked for a call with leadership"
    sections = out.split("\n== ")
    assert [s.split(" -> ")[0].lstrip("= ") for s in sections if escalation in s] == ["executives"]
    assert not (REPO / ".statusgen-cache" / "notified.json").exists()
    code, out, _ = run(
        capsys, "notify", "--site", str(REPO), "--dry-run", "--now", EXAMPLE_NOW, "--before-deploy"
    )
    assert [line.split(" -> ")[0][3:] for line in out.splitlines() if line.startswith("== ")] == [
        "support",
        "business",
        "executives",
        "engineering",
    ]


def test_channel_mistakes_are_site_yml_lines_and_literal_tokens_are_warned_of(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    head = dedent(SITE_YML).split("audiences:")[0]
    bad = (
        f"{head}audiences:\n  - id: public\n    title: Public\n    notify_before_deploy: maybe\n    notify:\n"
        "      - url: json://127.0.0.1/hook\n        webhook: https://example.com/\n"  # 2 kinds
        "      - url: json://127.0.0.1/$TOKEN\n"  # a $ that is not ${NAME}
        "      - webhook: ftp://example.com/\n"
        "      - url: json://127.0.0.1/a\n        events: [incident_opend]\n"
        "      - url: json://127.0.0.1/b\n        components: [apii]\n"
        "      - url: json://127.0.0.1/c\n        colour: red\n"
        "      - just a string\n"
        "      - webhook: http://[::1/\n"
        "      - url: json://127.0.0.1/d\n        events: []\n"
    )
    site = make_site({}, bad)
    code, out, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("site.yml:")]
    expected = {
        17: "'notify_before_deploy' must be true or false",
        19: "exactly one of url: (Apprise) or webhook:",
        21: "a '$' that does not start a ${NAME} variable",
        22: "'webhook' must be an http(s) URL, not ftp://",
        24: "unknown notify event 'incident_opend'",
        26: "unknown component in this channel's filter 'apii'",
        28: "unknown key in a notify channel 'colour'",
        29: "each notify channel must be a mapping",
        30: "'webhook' is not a valid URL",
        32: "'events' is empty; remove it to mean all",
    }
    for line, text in expected.items():
        assert any(found.startswith(f"site.yml:{line}: ") and text in found for found in lines), (line, err)

    token = "xoxbAAAA1111BBBB2222cccc"
    fine = (
        f"{head}audiences:\n  - id: public\n    title: Public\n    notify:\n"
        f"      - url: slack://T0000/B0000/{token}\n"
        "      - url: mailtos://ops:hunter2@smtp.example.com?to=ops@example.com\n"
        "      - url: mailtos://ops:${SMTP_PASSWORD}@smtp.example.com?to=ops@example.com\n"
    )
    site = make_site({}, fine)
    code, out, err = run(capsys, "check", "--site", str(site))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if ": warning: " in line and "notify channel" in line]
    assert [w.split(":")[1] for w in warnings] == ["18", "19"]
    assert "looks like a token" in warnings[0] and "holds a password" in warnings[1]
    assert token not in err and "hunter2" not in err and "slack://T0000/B0000/***" in err


def test_one_channel_under_two_audiences_is_a_site_yml_error(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Its readers would get both audiences' messages: a customer channel listed under an
    internal audience too would receive the internal updates."""
    head = dedent(SITE_YML).split("audiences:")[0]
    shared = (
        f"{head}audiences:\n  - id: public\n    title: Public\n    notify:\n"
        "      - url: json://127.0.0.1/${HOOK}\n"
        "  - id: engineering\n    title: Engineering\n    notify:\n"
        "      - url: json://127.0.0.1/own\n"
        "      - url: json://127.0.0.1/${HOOK}\n"
    )
    site = make_site({}, shared)
    code, out, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("site.yml:")] == [
        "site.yml:23: this channel is also listed under public: its readers would get both public's "
        "and engineering's messages; list each channel under one audience"
    ]
    # The same URL as a webhook is another channel (it gets other bodies), so that is allowed.
    site = make_site(
        {},
        shared.replace(
            "      - url: json://127.0.0.1/${HOOK}\n  - id",
            "      - webhook: http://127.0.0.1/${HOOK}\n  - id",
        ),
    )
    code, out, err = run(capsys, "check", "--site", str(site))
    assert code == 0, err


def test_a_damaged_record_stops_the_run_before_anything_is_sent(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml())
    record = site / ".statusgen-cache" / "notified.json"
    record.parent.mkdir()
    record.write_text('{"sent": {"public": [')
    code, out, err = notify(site)
    assert code == 1
    assert f"--record: cannot read {record} (JSONDecodeError); fix or delete it" in err
    assert set(receivers.counts().values()) == {0}


@pytest.mark.parametrize(
    ("url", "shown", "warned"),
    [
        ("${SUPPORT_SLACK_WEBHOOK}", "${SUPPORT_SLACK_WEBHOOK}", ""),
        (
            "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcDEF123ghiJKL456mnoPQR",
            "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/***",
            "token",
        ),
        (
            "tgram://123456789:AAEabcdefghijklmnopqrstuvwxyz012345/-100123",
            "tgram://123456789:***/-100123",
            "token",
        ),
        ("discord://${DISCORD_ID}/${DISCORD_TOKEN}", "discord://${DISCORD_ID}/${DISCORD_TOKEN}", ""),
        (
            "mailtos://ops:hunter2@smtp.example.com?to=ops@example.com",
            "mailtos://ops:***@smtp.example.com?to=ops@example.com",
            "password",
        ),
        (
            "mailtos://ops:${SMTP_PASSWORD}@smtp.example.com?to=ops@example.com",
            "mailtos://ops:${SMTP_PASSWORD}@smtp.example.com?to=ops@example.com",
            "",
        ),
        ("jsons://hooks.example.com/x?token=${T}", "jsons://hooks.example.com/x?token=${T}", ""),
        # Credentials named in the query are secrets whatever they look like.
        (
            "mailtos://smtp.example.com?user=ops&pass=hunter2&to=ops@example.com",
            "mailtos://smtp.example.com?user=ops&pass=***&to=ops@example.com",
            "pass=",
        ),
        (
            "https://hooks.example.com/flow?api-version=1&sp=%2Ftriggers&sig=Ab+cd/EF==",
            "https://hooks.example.com/flow?api-version=1&sp=%2Ftriggers&sig=***",
            "sig=",
        ),
        (
            "jsons://hooks.example.com/x?Token=abcdef#top",
            "jsons://hooks.example.com/x?Token=***#top",
            "Token=",
        ),
        ("json://127.0.0.1/hook?apikey=${KEY}&to=x", "json://127.0.0.1/hook?apikey=${KEY}&to=x", ""),
        ("json://127.0.0.1/hook?author=ops&encode=utf8", "json://127.0.0.1/hook?author=ops&encode=utf8", ""),
        ("json://127.0.0.1/h?lang_code=de&code=200", "json://127.0.0.1/h?lang_code=de&code=***", "code="),
        (
            "json://127.0.0.1/h?accessToken=a&clientSecret=b&password1=c#to%6Ben=d",
            "json://127.0.0.1/h?accessToken=***&clientSecret=***&password1=***#to%6Ben=***",
            "accessToken=",
        ),
        (
            "json://127.0.0.1/h?access_token=abc&x=1",
            "json://127.0.0.1/h?access_token=***&x=1",
            "access_token=",
        ),
    ],
)
def test_channel_urls_are_shown_redacted_and_literal_secrets_are_spotted(
    url: str, shown: str, warned: str
) -> None:
    assert redacted(url) == shown
    assert (warned in literal_secrets(url)) if warned else literal_secrets(url) == ""


def test_webhooks_that_break_http_redirect_or_cannot_be_addressed_fail_alone_and_quietly(
    make_site: Callable[..., Path],
    receivers: Receivers,
    notify: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No traceback, no secret in any line, the other channels delivered, nothing recorded as
    sent that a receiver did not take (a redirected POST arrives as a GET without its body)."""
    monkeypatch.setenv("SPACED_TOKEN", "spaced secret-CANARY-55")
    head = dedent(SITE_YML).split("audiences:")[0]
    hooks = ("/hook/${SPACED_TOKEN}", "/broken/x?token=${HOOK_TOKEN}", "/moved/x?token=${HOOK_TOKEN}")
    site = make_site(
        INCIDENT,
        f"{head}audiences:\n  - id: public\n    notify:\n"
        "      - url: json://127.0.0.1:${HTTP_PORT}/json/public\n"
        + "".join(f"      - webhook: http://127.0.0.1:${{HTTP_PORT}}{hook}\n" for hook in hooks)
        + "  - id: strategic\n    base_url: https://strategic.example.com/\n",
    )
    receivers.http.broken.add("/broken")
    receivers.http.moved.add("/moved")
    code, out, err = notify(site)
    assert code == 1 and "Traceback" not in err
    failed = [line for line in err.splitlines() if "notify failed" in line]
    assert len(failed) == 3, err
    assert any("HTTP 302" in line and "redirect" in line for line in failed)
    assert len(receivers.got("public", "json")) == 2
    for text in notify.outputs:  # type: ignore[attr-defined]
        assert "secret-CANARY" not in text and HOOK_TOKEN not in text
    code, _, err = notify(site)  # retried, and failing again: still one line each
    assert code == 1 and len([line for line in err.splitlines() if "notify failed" in line]) == 3
    assert len(receivers.got("public", "json")) == 2  # sent once


def test_a_window_moved_after_it_started_is_told_when_it_really_starts(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    first = (
        "---\ndate: 2026-11-27T10:00:00Z\nstatus: scheduled\ntitle: DB upgrade\ncomponents: [api]\n"
        "starts: 2026-11-27T12:30:00Z\nends: 2026-11-27T13:30:00Z\n---\nUpgrade.\n"
    )
    site = make_site({"content/maintenance/db/1.md": first}, site_yml())
    assert notify(site, now="2026-11-27T12:35:00Z")[0] == 0
    started = [t for t, _ in receivers.got("public", "json") if "In progress" in t]
    assert len(started) == 1
    moved = first.replace("12:30", "15:00").replace("13:30", "16:00").replace("T10:00", "T12:40")
    (site / "content/maintenance/db/2.md").write_text(moved)
    assert notify(site, now="2026-11-27T15:05:00Z")[0] == 0
    started = [t for t, _ in receivers.got("public", "json") if "In progress" in t]
    assert len(started) == 2


def test_each_audience_is_told_in_its_own_language(
    make_site: Callable[..., Path], receivers: Receivers, notify: Callable[..., tuple[int, str, str]]
) -> None:
    site = make_site(INCIDENT, site_yml=site_yml(strategic_options="    language: de\n"))
    assert notify(site)[0] == 0
    public, strategic = receivers.got("public", "json"), receivers.got("strategic", "json")
    assert [title for title, _ in public] == [
        "[Partial outage] API errors — Investigating",
        "[Partial outage] API errors — Identified",
    ]
    assert [title for title, _ in strategic] == [
        "[Teilweiser Ausfall] API errors — Untersuchung läuft",
        "[Teilweiser Ausfall] API errors — Ursache identifiziert",
    ]
    german = strategic[1][1]
    assert "Status: Ursache identifiziert" in german and "Auswirkung: Erheblich" in german
    assert "Betroffen: API (teilweiser Ausfall)" in german
    assert "Nur für Strategic customers: Strategic detail words." in german
    assert re.search(
        r"27\.11\.2026, 10:30 MEZ · https://strategic\.example\.com/incidents/api-errors/", german
    )
    assert "Impact: Major" in public[1][1] and "2026-11-27 10:30 CET" in public[1][1]
    # The email subject too; the Statuspage webhook keeps Statuspage's English values.
    assert receivers.got("strategic", "email")[0][0] == "[Teilweiser Ausfall] API errors — Untersuchung läuft"
    assert '"status": "identified"' in receivers.got("strategic", "statuspage")[1][1]
