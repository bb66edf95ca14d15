"""Reading a source page by page. A reader knows one kind of source (HarvestKind) and
yields pages of package dicts in the shape of CKAN's `package_show`, which is what
ckanext-dcat makes of DCAT-AP records too; the Mapper (catalog.harvest.mapping) and the
run (catalog.harvest.service) are the same for every kind, so organisation mapping,
trusted and normal mode, conflicts, removals, progress and the report are too.

A reader fetches only through the outbound guard (core.outbound, as client.client_for) within the run's
deadline, raises HarvestAborted with a message in words when the source cannot be read,
and guards against a source that pages forever."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from core import outbound

from ..errors import HarvestAborted
from ..models import HarvestSource
from .client import client_for, search


@dataclass
class Page:
    """One page of a source: its records as package dicts, and the number of records the
    source announces in all (None if it does not say), for the progress bar."""

    packages: list
    total: int | None = None
    # What the reader saw but the package dicts cannot carry, for the run's report
    # (e.g. DCAT properties it does not map): (record label, message).
    notes: list[tuple[str, str]] = field(default_factory=list)


class Reader(ABC):
    """The interface of a reader. `since` is set for an incremental run of a kind that
    can ask for changes only (INCREMENTAL); other kinds always read everything."""

    INCREMENTAL = False

    def __init__(self, source: HarvestSource, *, page_size: int, deadline: outbound.Deadline,
                 since: datetime | None = None):  # fmt: skip
        self.source = source
        self.page_size = page_size
        self.deadline = deadline
        self.since = since if self.INCREMENTAL else None

    @abstractmethod
    def pages(self) -> Iterator[Page]:
        """The source's records, page by page."""

    def check_deadline(self) -> None:
        if self.deadline.remaining() <= 0:
            raise HarvestAborted(self.deadline.message)


class CkanReader(Reader):
    """CKAN's package_search, sorted by id (as ckanext-harvest pages), with the source's
    filter and, for an incremental run, `metadata_modified` since the last success."""

    INCREMENTAL = True

    def filter_query(self) -> str:
        terms = []
        if self.source.fq.strip():
            terms.append(f"({self.source.fq.strip()})")
        if self.since:
            since = self.since.astimezone(UTC)
            terms.append(f"metadata_modified:[{since:%Y-%m-%dT%H:%M:%S}Z TO *]")
        return " AND ".join(terms)

    def pages(self) -> Iterator[Page]:
        fq = self.filter_query()
        previous_ids = None
        start = total = 0
        with client_for(self.source, deadline=self.deadline) as ckan:
            while True:
                self.check_deadline()
                result = search(ckan, fq=fq, start=start, rows=self.page_size)
                if start == 0:
                    total = result.get("count") or 0
                packages = result["results"]
                if not packages:
                    return
                ids = [str(package.get("id")) if isinstance(package, dict) else "" for package in packages]
                if ids == previous_ids:
                    raise HarvestAborted(
                        _("Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht.")
                    )
                previous_ids = ids
                yield Page(packages, total=total)
                start += len(packages)
                if start > total + 10 * self.page_size + 1000:
                    raise HarvestAborted(_("Die Quelle liefert weit mehr Datensätze, als sie angekündigt hat."))
