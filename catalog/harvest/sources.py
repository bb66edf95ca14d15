"""Which reader reads a kind of source (catalog.harvest.readers)."""

from __future__ import annotations

from core import outbound

from ..models import HarvestKind, HarvestSource
from .readers import CkanReader, Reader


def reader_class(kind: str) -> type[Reader]:
    # Imported here: the DCAT and CSW readers pull in rdflib and OWSLib, which a CKAN run
    # (and every web request that imports this module) does not need.
    if kind == HarvestKind.DCAT:
        from .dcat import DcatReader

        return DcatReader
    if kind == HarvestKind.CSW:
        from .csw import CswReader

        return CswReader
    return CkanReader


def supports_incremental(kind: str) -> bool:
    return reader_class(kind).INCREMENTAL


def reader_for(source: HarvestSource, *, page_size: int, deadline: outbound.Deadline, since=None) -> Reader:
    return reader_class(source.kind)(source, page_size=page_size, deadline=deadline, since=since)
