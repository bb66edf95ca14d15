"""Reading a geoportal's OGC CSW catalogue (ISO 19139 records)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from ..errors import HarvestAborted
from .readers import Page, Reader


class CswReader(Reader):
    def pages(self) -> Iterator[Page]:
        raise HarvestAborted(_("CSW-Quellen werden noch nicht unterstützt."))
        yield
