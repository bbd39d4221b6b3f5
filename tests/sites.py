"""Sites that several test modules build: plain data, no tests (import it, never a test module)."""

from __future__ import annotations

from dataclasses import dataclass

from conftest import SITE_YML, incident

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


# --- An audience graph -----------------------------------------------------------------------
# The example site's graph: executives and engineering each see things the other does not.
GRAPH = {
    "public": [],
    "strategic": ["public"],
    "support": ["strategic"],
    "business": ["public"],
    "executives": ["business", "support"],
    "engineering": ["support"],
}


def graph_site_yml(graph: dict[str, list[str]]) -> str:
    """SITE_YML's components with ``graph``'s audiences (in its order; includes always written)."""
    lines = SITE_YML_HEAD.splitlines()
    for audience_id, includes in graph.items():
        lines += [f"  - id: {audience_id}", f"    title: {audience_id.title()} people"]
        lines.append(f"    includes: [{', '.join(includes)}]")
    return "\n".join(lines) + "\n"


SITE_YML_HEAD = SITE_YML.split("audiences:")[0] + "audiences:\n"  # title, base_url, time zone, components


def closures(graph: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """The test's own reckoning of who includes whom (transitively, and itself)."""

    def reach(start: str) -> frozenset[str]:
        seen, todo = {start}, [start]
        while todo:
            for name in graph[todo.pop()]:
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
        return frozenset(seen)

    return {audience_id: reach(audience_id) for audience_id in graph}


def readers(graph: dict[str, list[str]], *levels: tuple[str, ...]) -> frozenset[str]:
    """The audiences that may see what sits inside every level (each a set of names written)."""
    included = closures(graph)
    allowed = frozenset(graph)
    for names in levels:
        allowed &= {a for a in graph if included[a] & set(names)}
    return allowed


@dataclass(frozen=True)
class Placement:
    """A canary written in one restricted place: ``levels`` are the audience sets around it
    (outermost first), ``kind`` where it sits (see place())."""

    kind: str
    levels: tuple[tuple[str, ...], ...]
    canary: str


PLACE_KINDS = (
    "update",  # a restricted update to a public incident: body, title, stem; components changed
    "incident",  # a whole restricted incident: slug, title, body
    "block",  # a block (the levels nested) in a public update
    "update_block",  # a block (levels[1:]) in an update for levels[0]
    "postmortem",  # a restricted postmortem: title and body
    "postmortem_block",  # a block in a public postmortem
    "maintenance",  # a whole restricted maintenance window: slug and title
)


# What each kind's restricted files alone say of time (ISO in feeds and the API, local on pages):
# no audience that sees no such placement may show them anywhere.
KIND_TIMES = {
    "update": ("T09:17:00", "10:17"),
    "incident": ("T07:51:00", "08:51"),
    "postmortem": ("T10:43:00", "11:43"),
    "maintenance": ("T06:07:00", "07:07", "T10:29:00", "11:29", "T13:31:00", "14:31"),
}


def _audience_key(names: tuple[str, ...]) -> str:
    return f"[{', '.join(names)}]"


def _block(levels: tuple[tuple[str, ...], ...], text: str) -> str:
    opening = "".join(f"::: {' '.join(names)}\n" for names in levels)
    return f"{opening}{text}\n" + ":::\n" * len(levels)


def place(placement: Placement, index: int) -> dict[str, str]:
    """The files that hold one canary; every slug, stem and title carries it too where it can."""
    kind, levels, canary = placement.kind, placement.levels, placement.canary
    slug = canary.lower()
    public_first = incident(
        "2026-11-27T08:00:00Z",
        "investigating",
        "Public words.",
        title=f"Public {index}",
        impact="minor",
        components=["api"],
    )
    if kind in ("update", "incident"):  # an update breaks the CDN, a whole incident the web app
        date, component = (
            ("2026-11-27T09:17:00Z", "cdn") if kind == "update" else ("2026-11-26T07:51:00Z", "web")
        )
        restricted = incident(
            date,
            "identified",
            f"{canary} body",
            audience=_audience_key(levels[0]),
            title=f"{canary} title",
            impact="critical",
            components={component: "major_outage"},
        )
        if kind == "incident":
            return {f"content/incidents/{slug}/a.md": restricted}
        return {
            f"content/incidents/p{index}/01.md": public_first,
            f"content/incidents/p{index}/{slug}.md": restricted,
        }
    if kind == "block":
        body = f"Public words.\n\n{_block(levels, canary)}\nMore public words.\n"
        return {
            f"content/incidents/p{index}/01.md": incident(
                "2026-11-27T08:00:00Z",
                "investigating",
                body,
                title=f"Public {index}",
                impact="minor",
                components=["api"],
            )
        }
    if kind == "update_block":
        return {
            f"content/incidents/p{index}/01.md": public_first,
            f"content/incidents/p{index}/02.md": incident(
                "2026-11-27T09:00:00Z",
                "identified",
                f"Restricted words.\n\n{_block(levels[1:], canary)}",
                audience=_audience_key(levels[0]),
            ),
        }
    if kind == "postmortem":
        return {
            f"content/incidents/p{index}/01.md": public_first,
            f"content/incidents/p{index}/postmortem.md": (
                f"---\ndate: 2026-11-27T10:43:00Z\ntitle: {canary} title\n"
                f"audience: {_audience_key(levels[0])}\n---\n{canary} body\n"
            ),
        }
    if kind == "postmortem_block":
        return {
            f"content/incidents/p{index}/01.md": public_first,
            f"content/incidents/p{index}/postmortem.md": (
                f"---\ndate: 2026-11-27T10:00:00Z\n---\nPublic analysis.\n\n{_block(levels, canary)}"
            ),
        }
    assert kind == "maintenance"
    return {
        f"content/maintenance/{slug}/a.md": (
            f"---\ndate: 2026-11-20T06:07:00Z\nstatus: scheduled\ntitle: {canary} title\n"
            f"audience: {_audience_key(levels[0])}\nstarts: 2026-11-27T10:29:00Z\n"
            "ends: 2026-11-27T13:31:00Z\ncomponents: [api]\n---\nRestricted window.\n"
        )
    }


def graph_files(placements: list[Placement]) -> dict[str, str]:
    files: dict[str, str] = {}
    for index, placement in enumerate(placements):
        files.update(place(placement, index))
    return files
