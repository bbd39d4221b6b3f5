"""What every file of one audience's tree reads, computed once from its view."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from generator.audience import ItemView, SiteView
from generator.render.feeds import by_activity
from generator.status import component_states, history_months, worst


@dataclass(frozen=True)
class ViewFacts:
    view: SiteView
    states: dict[str, str]  # component id -> its state now
    overall: str  # the worst of them
    component_names: dict[str, str]
    months: list[tuple[str, list[ItemView]]]  # history months, newest first, with their items
    items_by_uri: dict[str, ItemView]
    by_activity: list[ItemView]  # newest activity first: the order feeds and the API read
    by_component: dict[str, list[ItemView]]  # what ever affected each component, same order

    @property
    def month_keys(self) -> list[str]:
        return [month for month, _ in self.months]

    @cached_property
    def month_position(self) -> dict[str, int]:
        return {month: index for index, (month, _) in enumerate(self.months)}


def view_facts(view: SiteView, newest_activity_first: list[ItemView] | None = None) -> ViewFacts:
    """``newest_activity_first``: the view's items in that order, when the caller keeps them so."""
    states = component_states(view)
    ordered = newest_activity_first if newest_activity_first is not None else by_activity(view.items)
    by_component: dict[str, list[ItemView]] = {}
    for item in ordered:
        for component_id in item.component_ids:
            by_component.setdefault(component_id, []).append(item)
    return ViewFacts(
        view=view,
        states=states,
        overall=worst(list(states.values())),
        component_names={c.id: c.name for c in view.config.components},
        months=history_months(view),
        items_by_uri={item.uri: item for item in view.items},
        by_activity=ordered,
        by_component=by_component,
    )
