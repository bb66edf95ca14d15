"""The state of an organisation at a glance, for its governance admins (the start page
after login): overdue reviews, pending ethics cases, broken links, overdue updates,
open data requests. Each is a count that links to the list behind it.

Like the task inbox, the apps register what they know in their AppConfig.ready(), so
governance imports none of them. A `Signal` is one count: `count(organisation_ids)`
runs one query, `items(organisation_ids)` gives the rows of its list, and `url` points
to that list (by default the overview's own list page, `governance:state_list`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from . import permissions
from .models import Organisation, Role


@dataclass
class Item:
    """One row of a signal's list: what (with a link), whose, and why it is listed."""

    title: str
    url: str
    organisation: str
    detail: str = ""


@dataclass
class Signal:
    code: str  # in the URL of its list
    label: str  # "Überfällige Prüfungen"
    description: str  # what is counted, one sentence
    count: Callable[[set[int]], int]
    items: Callable[[set[int]], list[Item]] | None = None
    url: Callable[[], str] | None = None  # a list the app has already, filtered
    order: int = 100
    network_wide: bool = False  # not per organisation (data requests are the public's)


@dataclass
class Reading:
    signal: Signal
    count: int
    url: str


_signals: dict[str, Signal] = {}


def register_signal(signal: Signal) -> Signal:
    _signals[signal.code] = signal
    return signal


def signal(code: str) -> Signal | None:
    return _signals.get(code)


def admin_organisation_ids(user) -> set[int]:
    """The organisations whose state the user oversees: where they are governance admin,
    with every unit below them (one query per level of the shallow tree)."""
    roots = permissions.organisations_with_role(user, Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)
    return Organisation.objects.subtree_ids(list(roots))


def can_see_overview(user, held_roles=None) -> bool:
    """Governance admins (the auditors) see the state of their organisations. A view
    that has the roles the user holds now passes them (no query)."""
    if held_roles is not None:
        return user.is_superuser or Role.GOVERNANCE_ADMIN in held_roles
    return permissions.can_audit(user)


def list_url(signal: Signal) -> str:
    return signal.url() if signal.url else reverse("governance:state_list", args=[signal.code])


def readings(organisation_ids: set[int]) -> list[Reading]:
    """Every registered count for these organisations: one query each."""
    return [
        Reading(signal, signal.count(organisation_ids), list_url(signal))
        for signal in sorted(_signals.values(), key=lambda signal: (signal.order, signal.code))
    ]
