"""Sites that several test modules build: plain data, no tests (import it, never a test module)."""

from __future__ import annotations

from conftest import incident

MAINTENANCE = {
    "content/maintenance/db-upgrade/1.md": """\
        ---
        date: 2026-11-20T10:00:00Z
        status: scheduled
        title: Database upgrade
        starts: 2026-11-27T11:00:00Z
        ends: 2026-11-27T13:00:00Z
        components: [api, web]
        ---
        We will upgrade the database.
        """,
}

# A window on api and web, Nov 26 10:00-11:00 UTC: uptime and SLA tests put an outage around it.
UPGRADE_WINDOW = {
    "content/maintenance/upgrade/1.md": incident(
        "2026-11-20T08:00:00Z",
        "scheduled",
        title="Upgrade",
        starts="2026-11-26T10:00:00Z",
        ends="2026-11-26T11:00:00Z",
        components=["api", "web"],
    )
}


CANARIES = {
    "block": "CANARY-BLOCK-7f3a",
    "update_body": "CANARY-UPDATE-BODY-91c2",
    "update_title": "CANARY-UPDATE-TITLE-5d10",
    "incident_title": "CANARY-INCIDENT-TITLE-ab77",
    "incident_body": "CANARY-INCIDENT-BODY-0e4f",
    "incident_slug": "canary-incident-slug-3b9e",
    "update_stem": "canary-update-stem-66d1",
    "postmortem_title": "CANARY-POSTMORTEM-TITLE-c0de",
    "postmortem_body": "CANARY-POSTMORTEM-BODY-f00d",
    "postmortem_block": "CANARY-POSTMORTEM-BLOCK-beef",
    "maintenance_title": "CANARY-MAINTENANCE-TITLE-1234",
    "maintenance_slug": "canary-maintenance-slug-9876",
}
C = CANARIES

LEAKY_SITE = {
    # A public incident with a strategic block and a strategic-only update that would change
    # its title, impact, status and component states if it leaked.
    "content/incidents/mixed/01.md": incident(
        "2026-11-27T08:00:00Z",
        "investigating",
        f"Public words.\n\n::: strategic\n{C['block']}\n:::\n",
        title="Public title",
        impact="minor",
        components=["api"],
    ),
    f"content/incidents/mixed/{C['update_stem']}.md": incident(
        "2026-11-27T09:00:00Z",
        "resolved",
        C["update_body"],
        audience="strategic",
        title=C["update_title"],
        impact="critical",
        components={"web": "major_outage"},
    ),
    # A whole incident only strategic customers see, breaking the CDN.
    f"content/incidents/{C['incident_slug']}/a.md": incident(
        "2026-11-26T08:00:00Z",
        "identified",
        C["incident_body"],
        audience="strategic",
        title=C["incident_title"],
        impact="critical",
        components={"cdn": "major_outage"},
    ),
    # A public incident whose postmortem is strategic-only, and one with a strategic block.
    "content/incidents/old/a.md": incident(
        "2026-11-20T08:00:00Z", "resolved", "Done.", title="Old", impact="minor", components=["web"]
    ),
    "content/incidents/old/postmortem.md": (
        f"---\ndate: 2026-11-22T08:00:00Z\ntitle: {C['postmortem_title']}\naudience: strategic\n---\n"
        f"{C['postmortem_body']}\n"
    ),
    "content/incidents/older/a.md": incident(
        "2026-11-19T08:00:00Z", "resolved", "Done.", title="Older", impact="minor", components=["web"]
    ),
    "content/incidents/older/postmortem.md": (
        f"---\ndate: 2026-11-22T08:00:00Z\n---\nPublic analysis.\n\n::: strategic\n"
        f"{C['postmortem_block']}\n:::\n"
    ),
    # A maintenance window in progress that only strategic customers are told about.
    f"content/maintenance/{C['maintenance_slug']}/a.md": (
        f"---\ndate: 2026-11-20T08:00:00Z\nstatus: scheduled\ntitle: {C['maintenance_title']}\n"
        "audience: strategic\nstarts: 2026-11-27T11:00:00Z\nends: 2026-11-27T13:00:00Z\n"
        "components: [api]\n---\nStrategic-only window.\n"
    ),
}
