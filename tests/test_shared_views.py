"""Views shared between audiences (audience.views_for): an item's or an update's view is one object
for several audiences only where it is, field for field, what each of them would have got alone;
never where they see different pieces, states or labels."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from generator.audience import ItemView, SiteView, UpdateView, view_for, views_for
from generator.build import load_site

from conftest import NOW, incident
from sites import CANARIES, GRAPH, LEAKY_SITE, PLACE_KINDS, Placement, graph_files, graph_site_yml, readers


def _texts(view: ItemView) -> str:
    """Everything of an item's view a page could show, as one text."""
    bodies = [piece.html for update in view.updates for piece in update.body]
    if view.postmortem:
        bodies += [piece.html for piece in view.postmortem.body]
    return repr(view) + "".join(bodies)


def _same_as_alone(site, now) -> list[SiteView]:  # type: ignore[no-untyped-def]
    """views_for's views, checked against each audience's view made alone."""
    audiences = site.config.audiences
    together = views_for(site, audiences, now)
    for audience, shared in zip(audiences, together, strict=True):
        alone = view_for(site, audience, now)
        assert shared.audience is audience
        assert shared.items == alone.items and shared.incidents == alone.incidents
        assert shared.maintenances == alone.maintenances
        assert [_texts(v) for v in shared.items] == [_texts(v) for v in alone.items]
    return together


def _updates(view: SiteView) -> dict[str, UpdateView]:
    return {update.id: update for item in view.items for update in item.updates}


def test_what_two_audiences_see_alike_is_one_object_and_nothing_else(make_site):
    files = dict(LEAKY_SITE)
    files["content/incidents/plain/a.md"] = incident(
        "2026-11-25T08:00:00Z",
        "investigating",
        "Same for all.",
        title="Plain",
        impact="minor",
        components=["api"],
    )
    files["content/incidents/plain/b.md"] = incident("2026-11-25T09:00:00Z", "resolved", "Fixed.")
    site, now, _ = load_site(make_site(files), NOW)
    public, strategic = _same_as_alone(site, now)

    shared_items = {v.id for v in public.items if any(v is s for s in strategic.items)}
    assert shared_items == {"plain"}
    shared_updates = {i for i, u in _updates(public).items() if _updates(strategic).get(i) is u}
    # The strategic block's update differs (the canary); its neighbours and plain items are shared.
    assert "mixed/01" not in shared_updates
    assert {"plain/a", "plain/b", "older/a"} <= shared_updates
    for item in public.items:
        assert not any(canary in _texts(item) for canary in CANARIES.values())


def test_audiences_that_see_the_same_pieces_with_different_labels_share_nothing_of_it(make_site):
    """business and support both see a block written for both; each label names only the one
    the viewer includes: the updates are not shared, the plain one is."""
    graph = {"public": [], "business": ["public"], "support": ["public"]}
    files = {
        "content/incidents/both/a.md": incident(
            "2026-11-27T08:00:00Z",
            "investigating",
            "Public words.\n\n::: business support\nFor both.\n:::\n",
            title="Both",
            impact="minor",
            components=["web"],
        ),
        "content/incidents/both/b.md": incident("2026-11-27T09:00:00Z", "identified", "Plain."),
    }
    site, now, _ = load_site(make_site(files, site_yml=graph_site_yml(graph)), NOW)
    public, business, support = _same_as_alone(site, now)
    assert business.items[0].updates[0] is not support.items[0].updates[0]
    assert business.items[0].updates[0].body[1].titles == ("Business people",)
    assert support.items[0].updates[0].body[1].titles == ("Support people",)
    assert business.items[0].updates[1] is support.items[0].updates[1] is public.items[0].updates[1]
    assert "For both." not in _texts(public.items[0])


@pytest.mark.parametrize("seed", range(6))
def test_randomised_graph_sites_share_only_equal_views(make_site, seed):
    """Canaries placed at random for sets of audiences of a random graph; at several moments
    each audience's shared views are the ones it gets alone, and hold no canary it may not see."""
    rng = random.Random(seed)
    graph = GRAPH if seed % 2 else _random_graph(rng)
    placements: list[Placement] = []
    while len(placements) < 12:
        kind = rng.choice(PLACE_KINDS)
        depth = rng.randint(1, 3) if kind in ("block", "update_block", "postmortem_block") else 1
        depth += kind == "update_block"
        levels = tuple(tuple(rng.sample(list(graph), rng.randint(1, 2))) for _ in range(depth))
        if readers(graph, *levels):
            placements.append(Placement(kind, levels, f"CANARY-{len(placements):03d}-S{seed}"))
    site_dir = make_site(graph_files(placements), site_yml=graph_site_yml(graph))
    site, now, _ = load_site(site_dir, NOW)
    for moment in (now - timedelta(hours=4), now, now + timedelta(days=3)):
        views = _same_as_alone(site, moment)
        held = [id(u) for view in views for u in _updates(view).values()]
        assert len(set(held)) < len(held)  # some update views are shared (the public ones, at least)
        for view in views:
            for item in view.items:
                text = _texts(item)
                for placement in placements:
                    if view.audience.id not in readers(graph, *placement.levels):
                        assert placement.canary not in text


def _random_graph(rng: random.Random) -> dict[str, list[str]]:
    """3 to 6 audiences, each including a random few of those listed before it (as test_leaks)."""
    names = [f"aud{n}" for n in range(rng.randint(3, 6))]
    order = [names[0], *rng.sample(names[1:], len(names) - 1)]
    return {
        name: sorted(rng.sample(order[: order.index(name)], rng.randint(0, min(2, order.index(name)))))
        for name in names
    }
