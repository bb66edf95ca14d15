"""Functions the memory tests run in a fresh process (core.testing.measured): render a
table file the way the worker does, without a database (an unsaved Distribution whose
file lies under MEDIA_ROOT, which the test sets through the environment)."""

import tempfile
import time


def _distribution(name: str, file_format: str):
    from catalog.models import Distribution

    return Distribution(format=file_format, file=name)


def render(name: str, file_format: str) -> dict:
    """The preview and the three formats: status and size of each, and the seconds taken."""
    import os

    from catalog.renditions import render_files

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        outcomes = render_files(_distribution(name, file_format), directory)
        result = {
            outcome.kind: {
                "status": outcome.status,
                "limit": outcome.limit,
                "bytes": os.path.getsize(outcome.path) if outcome.path else 0,
                "preview_rows": len(outcome.preview["rows"]) if outcome.preview else 0,
            }
            for outcome in outcomes
        }
    return {"outcomes": result, "seconds": round(time.monotonic() - started, 1)}


def preview(name: str, file_format: str) -> dict:
    """The first pass alone: the preview, the row count (and the cap that stopped it)."""
    from catalog.renditions import _survey
    from core import tables

    survey = _survey(_distribution(name, file_format), tables.TableLimits.from_settings())
    return {
        "rows": len(survey.preview["rows"]) if survey.preview else 0,
        "data_rows": survey.data_rows,
        "too_large": survey.too_large.limit if survey.too_large else "",
    }
