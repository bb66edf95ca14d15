"""The authorization matrix: for every URL of the application, who may do what to which
object. It is the documentation an auditor reads (ASVS 8.1.1) and the test's single
source of truth: a cell that is not explicitly allowed here must be denied.

A `Route` names one URL pattern, the objects it is exercised on (labels of the world,
see world.py) and, per HTTP method, the roles allowed for each object. Allowed roles may
depend on the object, e.g. `{"published": EVERYONE, "draft": STAFF_A}`; a label missing
from such a mapping means nobody.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .world import ADMIN_A, ANONYMOUS, ETHICS_A, LEGAL_A, OUTSIDER, OWNER_A, ROLES, STEWARD_A, STEWARD_B, World

EVERYONE = frozenset(ROLES)
NOBODY = frozenset()
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = frozenset({STEWARD_A, STEWARD_B, OWNER_A, LEGAL_A, ETHICS_A, ADMIN_A})  # anyone with a role
STAFF_A = frozenset({STEWARD_A, OWNER_A, LEGAL_A, ETHICS_A, ADMIN_A})  # anyone with a role in org A

NO_OBJECT = "-"

Allowed = frozenset | Mapping[str, frozenset]


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    get: Allowed = NOBODY
    post: Allowed = NOBODY
    # Object labels the URL is built for, and how: label -> URL kwargs.
    objects: tuple[str, ...] = (NO_OBJECT,)
    kwargs: Callable[[World, str], dict] | None = None
    # POST body for the cells (a callable gets the world and the object label).
    data: Callable[[World, str], dict] | dict = field(default_factory=dict)
    # What an allowed request answers with (denials are always 302-to-login, 403, 404 or 405).
    get_ok: frozenset = frozenset({200})
    post_ok: frozenset = frozenset({200, 201, 204, 302, 303})
    query: str = ""  # appended to the URL, e.g. "?q=Baum"
    why: str = ""  # the rule in words, for routes whose answer is not obvious

    def allowed(self, method: str, label: str) -> frozenset:
        allowed = self.get if method == "GET" else self.post
        if isinstance(allowed, Mapping):
            return frozenset(allowed.get(label, NOBODY))
        return frozenset(allowed)

    def url_kwargs(self, world: World, label: str) -> dict:
        return self.kwargs(world, label) if self.kwargs else {}


def routes(*entries: Route) -> dict[str, Route]:
    table = {}
    for route in entries:
        assert route.name not in table, f"{route.name} is in the matrix twice"
        table[route.name] = route
    return table


def dataset_name(world: World, label: str) -> dict:
    return {"name": world.dataset(label).name}


def each_state(allowed: Mapping[str, frozenset], labels) -> dict[str, frozenset]:
    """Spell out a per-object rule for the labels it covers."""
    return {label: frozenset(allowed.get(label, NOBODY)) for label in labels}


__all__ = [
    "ADMIN_A",
    "ANONYMOUS",
    "ETHICS_A",
    "EVERYONE",
    "LEGAL_A",
    "NOBODY",
    "NO_OBJECT",
    "OUTSIDER",
    "OWNER_A",
    "SIGNED_IN",
    "STAFF",
    "STAFF_A",
    "STEWARD_A",
    "STEWARD_B",
    "Route",
    "dataset_name",
    "each_state",
    "routes",
]
