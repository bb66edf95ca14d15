"""Matrix of the strategy's public pages (/strategie/).

The rule: every public strategy page reads through strategy.public, so a strategy,
measure or anything above a measure that is not public does not exist there, for
citizens and staff alike (404). The pages are read-only; the only write is
„Finde ich wichtig“, which needs no account (one vote per browser, rate limited)."""

from strategy.models import Strategy

from .matrix import EVERYONE, Route, routes
from .world import World

PUBLIC_STRATEGY = "datenstrategie-stadtverbund"  # the demo's strategy (demo/strategy.py)
INTERNAL_STRATEGY = "matrix-interne-strategie"
MEASURES = {"public": "HF1-M10", "internal": "HF2-M09"}  # HF2-M09 is internal only in the demo


def strategy_slug(world: World, label: str) -> dict:
    """The demo's public strategy, or a strategy not (yet) on the portal – made inside
    the running test (so it goes with its savepoint), never cached."""
    if label == "internal":
        Strategy.objects.get_or_create(
            slug=INTERNAL_STRATEGY, defaults={"title": "Strategieentwurf (Matrix)", "is_public": False}
        )
        return {"slug": INTERNAL_STRATEGY}
    return {"slug": PUBLIC_STRATEGY}


def measure_code(world: World, label: str) -> dict:
    return {"slug": PUBLIC_STRATEGY, "code": MEASURES[label]}


ROUTES = routes(
    Route("strategy:public_strategy_list", get=EVERYONE),
    Route(
        "strategy:public_strategy",
        objects=("public", "internal"),
        kwargs=strategy_slug,
        get={"public": EVERYONE},
        why="A strategy not marked public does not exist on the portal, for staff either.",
    ),
    Route(
        "strategy:public_measure",
        objects=("public", "internal"),
        kwargs=measure_code,
        get={"public": EVERYONE},
        why="An internal measure of a public strategy is not on the portal (404), nor are its votes.",
    ),
    Route(
        "strategy:public_measure_vote",
        objects=("public", "internal"),
        kwargs=measure_code,
        post={"public": EVERYONE},
        post_ok=frozenset({302}),
        why="'Finde ich wichtig' needs no account; one vote per browser. An internal measure cannot be voted for.",
    ),
)
