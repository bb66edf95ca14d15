"""Work that each of several writes of one operation would repeat, done once at its end.

Creating a dataset saves its row, then its keywords, its themes and each distribution;
every one of those writes would rewrite the dataset's search document. Inside
`collecting()` such work is gathered by kind (the function that does it) and key (e.g.
the dataset's id) and done once when the block ends, still inside the caller's
transaction, so that what the work writes commits or rolls back with the rest. Outside
the block, `defer()` says no and the caller does the work at once.

Model-free: nothing here imports an app.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

_pending: contextvars.ContextVar[dict | None] = contextvars.ContextVar("stadtdaten_deferred", default=None)


@contextmanager
def collecting() -> Iterator[None]:
    """Gather deferred work for the block and do it when the block ends without an error
    (an error leaves it undone, as the transaction around it is rolled back). Nested
    blocks belong to the outermost one."""
    if _pending.get() is not None:
        yield
        return
    pending: dict[Callable, dict] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    # Outside the block now: work that causes more work does that at once.
    for work, keys in pending.items():
        work(list(keys))


def defer(work: Callable[[list], object], key: Hashable) -> bool:
    """Note `key` for `work` (called once with all keys noted for it, in order) if a
    `collecting()` block is open; False if none is, and the caller works at once."""
    pending = _pending.get()
    if pending is None:
        return False
    pending.setdefault(work, {})[key] = None
    return True
