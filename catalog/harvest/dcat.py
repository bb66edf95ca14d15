"""Reading a DCAT-AP(.de) catalog (Turtle, RDF/XML, JSON-LD) with Hydra paging."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from ..errors import HarvestAborted
from .readers import Page, Reader


class DcatReader(Reader):
    def pages(self) -> Iterator[Page]:
        raise HarvestAborted(_("DCAT-AP-Quellen werden noch nicht unterstützt."))
        yield
