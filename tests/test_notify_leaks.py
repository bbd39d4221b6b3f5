"""Canaries: no notify channel ever receives a word, title, component or status of an audience
its own audience does not include, for every channel kind and every audience pair.

Generic over the audiences in ``AUDIENCES`` (site.yml text): each audience gets its own canaries
in every restricted place (a block, a whole update, a whole incident, a maintenance window the
clock opens and closes, a postmortem) and the four channel kinds. Which audiences one includes is
read from the loaded config by ``included`` (the test's own oracle, not the product's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.config import Audience, SiteConfig, load_config
from generator.errors import Problems

from conftest import incident, run
from receivers import HttpReceiver, SmtpReceiver

NOW = "2026-11-27T12:00:00Z"
# The example's graph: executives and engineering each see things the other does not.
AUDIENCES = """\
  - id: public
    title: Public
  - id: strategic
    title: Strategic customers
    base_url: https://strategic.example.com/
  - id: support
    includes: [strategic]
    title: Customer support
  - id: business
    includes: [public]
    title: Business teams
  - id: executives
    includes: [business, support]
    title: Executives
  - id: engineering
    includes: [support]
    title: Engineering
"""
KINDS = ("json", "statuspage", "ntfy", "email")


def included(config: SiteConfig, audience: Audience) -> set[str]:
    """The audiences whose content ``audience`` sees: its includes, transitively (without
    includes, the ladder: itself and every audience listed before it)."""
    by_id = {a.id: a for a in config.audiences}
    if not hasattr(audience, "includes"):
        return {a.id for a in config.audiences[: config.audiences.index(audience) + 1]}
    seen: set[str] = set()
    todo = [audience.id]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += list(getattr(by_id[current], "includes", ()))
    return seen


def canaries(audience: str) -> list[str]:
    tag = audience.upper()
    return [
        f"CANARY-{tag}-BLOCK",
        f"CANARY-{tag}-UPDATE",
        f"CANARY-{tag}-INCIDENT-TITLE",
        f"CANARY-{tag}-INCIDENT-BODY",
        f"CANARY-{tag}-MAINTENANCE",
        f"CANARY-{tag}-POSTMORTEM",
        f"CANARY-{tag}-COMPONENT",  # the name of a component only its content affects
        f"[Resolved] Base {audience}",  # a status only its update sets
    ]


def audience_ids() -> list[str]:
    return [part.split("\n")[0] for part in AUDIENCES.split("  - id: ")[1:]]


def channels(audience: str) -> str:
    """The four channel kinds, each at an address of its own audience."""
    return (
        "    notify:\n"
        f"      - url: json://127.0.0.1:${{HTTP_PORT}}/json/{audience}\n"
        f"      - webhook: http://127.0.0.1:${{HTTP_PORT}}/statuspage/{audience}\n"
        f"      - url: ntfy://127.0.0.1:${{HTTP_PORT}}/{audience}-topic\n"
        f"      - url: mailto://127.0.0.1:${{SMTP_PORT}}?from=s@example.com&to={audience}@example.com"
        "&mode=insecure\n"
    )


def write_site(site: Path) -> None:
    for relative, text in site_files(audience_ids()).items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text, encoding="utf-8")


def site_files(ids: list[str]) -> dict[str, str]:
    blocks = ["  - id: " + part for part in AUDIENCES.split("  - id: ")[1:]]
    audiences = "".join(block + channels(a) for block, a in zip(blocks, ids, strict=True))
    components = "".join(f"  - id: c-{a}\n    name: CANARY-{a.upper()}-COMPONENT\n" for a in ids)
    files = {
        "site.yml": "title: Leaks\nbase_url: https://status.example.com/\ntimezone: UTC\n"
        f"components:\n  - id: api\n    name: API\n{components}audiences:\n{audiences}"
    }
    for a in ids:
        tag = a.upper()
        files |= {
            f"content/incidents/base-{a}/1.md": incident(
                "2026-11-27T09:00:00Z",
                "investigating",
                f"Public words.\n\n::: {a}\nCANARY-{tag}-BLOCK\n:::\n",
                title=f"Base {a}",
                impact="minor",
                components=["api"],
            ),
            f"content/incidents/base-{a}/2.md": incident(
                "2026-11-27T10:00:00Z",
                "resolved",
                f"CANARY-{tag}-UPDATE",
                audience=a,
                components={f"c-{a}": "major_outage"},
            ),
            f"content/incidents/base-{a}/postmortem.md": (
                f"---\ndate: 2026-11-27T11:00:00Z\naudience: {a}\n---\nCANARY-{tag}-POSTMORTEM\n"
            ),
            f"content/incidents/only-{a}/1.md": incident(
                "2026-11-27T10:30:00Z",
                "identified",
                f"CANARY-{tag}-INCIDENT-BODY",
                audience=a,
                title=f"CANARY-{tag}-INCIDENT-TITLE",
                impact="critical",
                components={f"c-{a}": "major_outage"},
            ),
            f"content/maintenance/window-{a}/1.md": (
                f"---\ndate: 2026-11-27T08:00:00Z\nstatus: scheduled\ntitle: CANARY-{tag}-MAINTENANCE\n"
                f"audience: {a}\nstarts: 2026-11-27T10:00:00Z\nends: 2026-11-27T11:00:00Z\n"
                f"components: [c-{a}]\n---\nWindow words.\n"
            ),
        }
    return files


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    http, smtp = HttpReceiver(), SmtpReceiver("unused", "unused")
    smtp.start()
    monkeypatch.setenv("HTTP_PORT", str(http.port))
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    yield http, smtp
    http.stop()
    smtp.stop()


def test_no_channel_receives_what_its_audience_does_not_include(
    tmp_path: Path,
    receivers: tuple[HttpReceiver, SmtpReceiver],
    capsys: pytest.CaptureFixture[str],
) -> None:
    http, smtp = receivers
    ids = audience_ids()
    site = tmp_path / "site"
    write_site(site)
    config = load_config(site, Problems(site))
    assert config is not None
    code, out, err = run(capsys, "notify", "--site", str(site), "--now", NOW)
    assert code == 0, err

    def received(audience: str, kind: str) -> str:
        if kind == "ntfy":
            return json.dumps(http.ntfy(f"{audience}-topic"), ensure_ascii=False)
        if kind == "email":
            return "\n".join(f"{m['Subject']}\n{m.get_content()}" for m in smtp.to(f"{audience}@example.com"))
        return json.dumps([r.body for r in http.at(f"/{kind}/{audience}")], ensure_ascii=False)

    excluded_pairs = 0
    for receiver in config.audiences:
        sees = included(config, receiver)
        for kind in KINDS:
            text = received(receiver.id, kind)
            assert text.count("Base ") >= 1, (receiver.id, kind)  # it was told something
            for owner in ids:
                if owner in sees:
                    if owner != ids[0] and kind != "statuspage":  # control: the canaries do arrive
                        assert f"CANARY-{owner.upper()}-BLOCK" in text, (receiver.id, kind, owner)
                    continue
                excluded_pairs += 1
                for canary in canaries(owner):
                    assert canary not in text, (receiver.id, kind, owner, canary)
    assert excluded_pairs >= len(KINDS)  # the site has restricted content someone must not get


def test_every_canary_reaches_the_audiences_that_include_it(
    tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver], capsys: pytest.CaptureFixture[str]
) -> None:
    """The control for the test above: each restricted place is really sent to its own audience."""
    http, _ = receivers
    ids = audience_ids()
    site = tmp_path / "site"
    write_site(site)
    assert run(capsys, "notify", "--site", str(site), "--now", NOW)[0] == 0
    for owner in ids[1:]:
        text = json.dumps([r.body for r in http.at(f"/json/{owner}")], ensure_ascii=False)
        for canary in canaries(owner):
            if "Resolved" in canary:
                assert f"[Resolved] Base {owner}" in text
            else:
                assert canary in text, (owner, canary)
