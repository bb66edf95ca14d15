"""The MQA score and freshness of a dataset: pure functions, no database access (see
catalog.quality)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, OTHER_FILE_TYPE, Frequency

MAX_POINTS = 405

# EU file-type codes of formats that are open standards, and of formats a machine can
# read as data (MQA's "non-proprietary" and "machine-readable" vocabularies, restricted
# to the formats the catalog knows).
NON_PROPRIETARY_FORMATS = {"CSV", "ODS", "JSON", "GEOJSON", "XML", "TXT", "PDF", "PNG", "JPEG", "ZIP", "HTML",
                           "WMS_SRVC", "WFS_SRVC"}  # fmt: skip
MACHINE_READABLE_FORMATS = {"CSV", "XLSX", "ODS", "JSON", "GEOJSON", "XML", "WMS_SRVC", "WFS_SRVC"}

RATINGS = [
    (351, "excellent", _("ausgezeichnet")),
    (221, "good", _("gut")),
    (121, "sufficient", _("ausreichend")),
    (0, "bad", _("mangelhaft")),
]


# What is missing when a check is not passed, for the public page (the labels name what
# is checked and read like successes: "Lizenz angegeben").
GAPS = {
    "keywords": _("keine Schlagwörter"),
    "themes": _("keine Themen"),
    "spatial": _("keine räumliche Abdeckung"),
    "temporal": _("keine zeitliche Abdeckung"),
    "access_url": _("keine erreichbare Zugriffsadresse"),
    "download_url": _("kein direkter Download"),
    "download_url_ok": _("keine erreichbare Download-Adresse"),
    "format": _("kein Format angegeben"),
    "media_type": _("kein Medientyp angegeben"),
    "vocabulary": _("Format nicht aus dem EU-Vokabular"),
    "non_proprietary": _("kein offenes Format"),
    "machine_readable": _("kein maschinenlesbares Format"),
    "dcat_ap": _("DCAT-AP-Pflichtangaben unvollständig"),
    "licence": _("keine Lizenz angegeben"),
    "licence_vocabulary": _("Lizenz nicht aus der DCAT-AP.de-Liste"),
    "access_rights": _("Zugangsrechte noch nicht festgelegt"),
    "access_rights_vocabulary": _("Zugangsrechte noch nicht festgelegt"),
    "contact_point": _("keine Kontaktstelle"),
    "publisher": _("kein Herausgeber"),
    "rights": _("kein Rechtehinweis"),
    "byte_size": _("Dateigröße fehlt"),
    "issued": _("kein Veröffentlichungsdatum"),
    "modified": _("kein Änderungsdatum"),
}
# Checks no form offers a field for: the access rights follow from the decision on
# publication (legal review), the dates from publishing and saving. Never a to-do for
# the steward.
DERIVED_CHECKS = {"access_rights", "access_rights_vocabulary", "issued", "modified"}


@dataclass(frozen=True)
class Check:
    code: str
    label: str  # what is checked
    hint: str  # what to do to pass
    points: int  # maximum
    score: float  # reached (may be a share of the maximum)
    # Whether the steward can do what the hint says in a form; a check that is derived
    # (access rights) or that only settings fix (the contributor ID) is no to-do.
    actionable: bool = True

    @property
    def passed(self) -> bool:
        return self.score >= self.points

    @property
    def gap(self) -> str:
        """What is missing, in words (for the public page)."""
        return str(GAPS.get(self.code, self.label))

    @property
    def missing(self) -> int:
        return round(self.points - self.score)


@dataclass
class Dimension:
    code: str
    label: str
    checks: list[Check] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(check.points for check in self.checks)

    @property
    def score(self) -> int:
        return round(sum(check.score for check in self.checks))

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.points) if self.points else 0

    @property
    def failed_labels(self) -> list[str]:
        """What is missing for the checks not passed, e.g. "keine Lizenz angegeben"."""
        return [check.gap for check in self.checks if not check.passed]


@dataclass
class Quality:
    dimensions: list[Dimension]

    @property
    def score(self) -> int:
        return round(sum(check.score for dimension in self.dimensions for check in dimension.checks))

    max_points: int = MAX_POINTS

    @property
    def percent(self) -> int:
        return round(100 * self.score / MAX_POINTS)

    @property
    def rating(self) -> str:
        return next(code for minimum, code, _label in RATINGS if self.score >= minimum)

    @property
    def rating_label(self) -> str:
        return str(next(label for minimum, _code, label in RATINGS if self.score >= minimum))

    def hints(self) -> list[str]:
        """What would raise the score, biggest gain first, e.g. "Zeitliche Abdeckung angeben: +20"."""
        failed = [
            check
            for dimension in self.dimensions
            for check in dimension.checks
            if check.missing > 0 and check.actionable
        ]
        failed.sort(key=lambda check: -check.missing)
        return [f"{check.hint}: +{check.missing}" for check in failed]


def contributor_id(organisation) -> str:
    """The DCAT-AP.de contributor ID of an organisation: its own, else its nearest
    parent's (as the portal's projection publishes it)."""
    seen = set()
    while organisation is not None and organisation.pk not in seen:
        if organisation.contributor_id:
            return organisation.contributor_id
        seen.add(organisation.pk)
        organisation = organisation.parent if organisation.parent_id else None
    return ""


def _share(distributions, test) -> float:
    if not distributions:
        return 0.0
    return sum(1 for distribution in distributions if test(distribution)) / len(distributions)


def assess(dataset, *, distributions=None, link_status: dict | None = None) -> Quality:
    """The MQA score of `dataset`. `distributions` defaults to its current distributions (not
    those of a pending change, which the public does not see);
    `link_status` maps distribution pk → reachable (bool) for external links."""
    if distributions is None:
        distributions = list(dataset.distributions.current())
    link_status = link_status or {}
    has_keywords = bool(dataset.keywords.all())
    has_themes = bool(dataset.themes.all())

    def reachable(distribution) -> bool:
        return distribution.is_upload or bool(link_status.get(distribution.pk))

    def is_download(distribution) -> bool:
        return distribution.is_upload or distribution.kind == "download"

    def full(condition: bool, points: int) -> float:
        return float(points) if condition else 0.0

    def interoperability_of(distribution) -> list[float]:
        code = distribution.format
        file_type = FILE_TYPES_BY_CODE.get(code)
        return [
            # "Sonstiges" (a harvested format the catalog does not know) is written without dct:format.
            full(bool(code) and code != OTHER_FILE_TYPE, 20),
            full(bool(distribution.media_type), 10),
            full(file_type is not None and file_type.in_eu_vocabulary, 10),
            full(code in NON_PROPRIETARY_FORMATS, 20),
            full(code in MACHINE_READABLE_FORMATS, 20),
        ]

    best = max(distributions, key=lambda d: sum(interoperability_of(d)), default=None)
    interop = interoperability_of(best) if best is not None else [0.0] * 5
    # The DCAT-AP core: what the steward fills in, and the publisher's contributor ID,
    # which comes from the organisation settings (its own or the nearest parent's).
    core_missing = [
        text
        for present, text in (
            (dataset.title, gettext("Titel")),
            (dataset.description, gettext("Beschreibung")),
            (dataset.licence, gettext("Lizenz")),
            (distributions, gettext("mindestens eine Distribution")),
        )
        if not present
    ]
    contributor = bool(dataset.publisher_id and contributor_id(dataset.publisher))
    dcat_ap = not core_missing and bool(dataset.publisher_id) and contributor
    dcat_hint = (
        gettext("DCAT-AP-Pflichtangaben vervollständigen: %(missing)s") % {"missing": ", ".join(core_missing)}
        if core_missing
        else gettext("Contributor-ID in den Einstellungen der Organisation eintragen (Governance-Admin)")
    )

    def licence_of(distribution):
        return distribution.licence or dataset.licence

    def licence_share(test) -> float:
        # Without a distribution the dataset's own licence counts (it is what every
        # distribution will inherit); otherwise each distribution's, inherited or its own.
        return _share(distributions, lambda d: test(licence_of(d))) if distributions else float(test(dataset.licence))

    findability = Dimension("findability", str(_("Auffindbarkeit")), [
        Check("keywords", str(_("Schlagwörter")), str(_("Schlagwörter angeben")), 30, full(has_keywords, 30)),
        Check("themes", str(_("Themen")), str(_("Themen zuordnen")), 30, full(has_themes, 30)),
        Check("spatial", str(_("Räumliche Abdeckung")), str(_("Räumliche Abdeckung angeben")), 20,
              full(bool(dataset.municipality_key or dataset.spatial_label), 20)),
        Check("temporal", str(_("Zeitliche Abdeckung")), str(_("Zeitliche Abdeckung angeben")), 20,
              full(bool(dataset.temporal_start or dataset.temporal_end), 20)),
    ])  # fmt: skip
    accessibility = Dimension("accessibility", str(_("Zugänglichkeit")), [
        Check("access_url", str(_("Zugriffsadresse erreichbar")), str(_("Erreichbare Zugriffsadressen angeben")), 50,
              50 * _share(distributions, reachable)),
        Check("download_url", str(_("Download-Adresse vorhanden")), str(_("Direkte Downloads anbieten")), 20,
              20 * _share(distributions, is_download)),
        Check("download_url_ok", str(_("Download-Adresse erreichbar")),
              str(_("Erreichbare Download-Adressen angeben")), 30,
              30 * _share(distributions, lambda d: is_download(d) and reachable(d))),
    ])  # fmt: skip
    interoperability = Dimension("interoperability", str(_("Interoperabilität")), [
        Check("format", str(_("Format angegeben")), str(_("Format der Distributionen angeben")), 20, interop[0]),
        Check("media_type", str(_("Medientyp angegeben")),
              str(_("Format der Distributionen angeben (der Medientyp ergibt sich daraus)")), 10, interop[1]),
        Check("vocabulary", str(_("Format aus kontrolliertem Vokabular")),
              str(_("Format aus dem EU-Vokabular wählen")), 10, interop[2]),
        Check("non_proprietary", str(_("Offenes Format")), str(_("Ein offenes Format anbieten (z. B. CSV)")), 20,
              interop[3]),
        Check("machine_readable", str(_("Maschinenlesbares Format")),
              str(_("Ein maschinenlesbares Format anbieten (z. B. CSV, JSON)")), 20, interop[4]),
        Check("dcat_ap", str(_("DCAT-AP-Pflichtangaben")), dcat_hint, 30, full(dcat_ap, 30),
              actionable=bool(core_missing)),
    ])  # fmt: skip
    reusability = Dimension("reusability", str(_("Wiederverwendbarkeit")), [
        Check("licence", str(_("Lizenz angegeben")), str(_("Lizenz angeben")), 20, 20 * licence_share(bool)),
        Check("licence_vocabulary", str(_("Lizenz aus Vokabular")), str(_("Lizenz aus der DCAT-AP.de-Liste wählen")),
              10, 10 * licence_share(lambda code: code in LICENCES_BY_CODE)),
        # Both follow from the decision on publication (its form maps to the EU access
        # rights vocabulary): set by the legal review, no field for the steward.
        Check("access_rights", str(_("Zugangsrechte angegeben")),
              str(_("Zugangsrechte ergeben sich aus der Veröffentlichungsentscheidung")), 10,
              full(bool(dataset.publication_outcome), 10), actionable=False),
        Check("access_rights_vocabulary", str(_("Zugangsrechte aus Vokabular")),
              str(_("Zugangsrechte ergeben sich aus der Veröffentlichungsentscheidung")), 5,
              full(bool(dataset.publication_outcome), 5), actionable=False),
        Check("contact_point", str(_("Kontaktstelle")), str(_("Kontaktstelle angeben")), 20,
              full(bool(dataset.contact_email or dataset.contact_url), 20)),
        Check("publisher", str(_("Herausgeber")), str(_("Herausgeber angeben")), 10,
              full(bool(dataset.publisher_id), 10)),
    ])  # fmt: skip
    contextuality = Dimension("contextuality", str(_("Kontext")), [
        Check("rights", str(_("Rechtehinweis")), str(_("Namensnennung oder Rechtehinweis angeben")), 5,
              full(bool(dataset.attribution_text), 5)),
        # No field for the size: an uploaded file has it, a link does not.
        Check("byte_size", str(_("Dateigröße")),
              str(_("Dateien hochladen statt verlinken (die Dateigröße wird dann ermittelt)")), 5,
              5 * _share(distributions, lambda d: d.byte_size is not None)),
        Check("issued", str(_("Veröffentlichungsdatum")), str(_("Wird mit der Veröffentlichung gesetzt")), 5,
              full(dataset.issued is not None, 5), actionable=False),
        Check("modified", str(_("Änderungsdatum")), str(_("Wird bei jeder Änderung gesetzt")), 5,
              full(dataset.modified is not None, 5), actionable=False),
    ])  # fmt: skip
    return Quality([findability, accessibility, interoperability, reusability, contextuality])


# ---------------------------------------------------------------------------
# Freshness

# How long after the last update the next one is due, per declared frequency.
EXPECTED_INTERVAL = {
    Frequency.CONT: timedelta(days=1),
    Frequency.UPDATE_CONT: timedelta(days=1),
    Frequency.HOURLY: timedelta(days=1),
    Frequency.DAILY: timedelta(days=2),
    Frequency.WEEKLY: timedelta(days=8),
    Frequency.MONTHLY: timedelta(days=32),
    Frequency.QUARTERLY: timedelta(days=93),
    Frequency.ANNUAL_2: timedelta(days=184),
    Frequency.ANNUAL: timedelta(days=366),
    Frequency.BIENNIAL: timedelta(days=731),
}


@dataclass(frozen=True)
class Freshness:
    status: str  # "current", "overdue" or "unknown" (no regular frequency declared)
    label: str
    last_update: date | None
    due: date | None


def freshness(dataset, *, today: date | None = None) -> Freshness:
    """Is the dataset as current as its declared update frequency promises?"""
    today = today or timezone.localdate()
    last = timezone.localdate(dataset.modified) if dataset.modified else None
    interval = EXPECTED_INTERVAL.get(dataset.update_frequency)
    if interval is None or last is None:
        return Freshness("unknown", str(_("keine regelmäßige Aktualisierung angegeben")), last, None)
    due = last + interval
    if today > due:
        return Freshness("overdue", str(_("Aktualisierung überfällig")), last, due)
    return Freshness("current", str(_("aktuell")), last, due)


DIMENSIONS = ["findability", "accessibility", "interoperability", "reusability", "contextuality"]


def rating_label(rating: str) -> str:
    return str(next((label for _minimum, code, label in RATINGS if code == rating), rating))


def stored(score) -> Quality:
    """The Quality a QualityScore row holds, with labels and hints in the current language
    (the row keeps the German source strings)."""
    rows = {code: score.dimensions[code] for code in DIMENSIONS if code in score.dimensions}  # jsonb keeps no order
    dimensions = {code: Dimension(code, gettext(values["label"])) for code, values in rows.items()}
    for check in score.checks:
        dimensions[check["dimension"]].checks.append(
            Check(
                check["code"],
                gettext(check["label"]),
                gettext(check["hint"]),
                check["points"],
                check["score"],
                actionable=check.get("actionable", check["code"] not in DERIVED_CHECKS),
            )
        )
    return Quality(list(dimensions.values()))


def stale_datasets(datasets, *, today: date | None = None) -> list:
    """(dataset, Freshness) for each dataset not updated as its frequency promises."""
    pairs = [(dataset, freshness(dataset, today=today)) for dataset in datasets]
    return [(dataset, fresh) for dataset, fresh in pairs if fresh.status == "overdue"]
