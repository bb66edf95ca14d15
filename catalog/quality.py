"""Metadata quality of a dataset, scored like the data.europa.eu Metadata Quality
Assessment (MQA): five dimensions, 23 checks, at most 405 points, rated excellent /
good / sufficient / bad. Also freshness against the declared update frequency.

`assess` and `freshness` are pure functions of a dataset and its distributions: no
writes, and no queries when the caller has prefetched `keywords`, `themes` and
`distributions` and selected `publisher`. `rescore` persists the result as the dataset's
`QualityScore` (run by catalog.tasks.score_dataset after every change, see
catalog.apps); `stored` turns that row back into a `Quality` for the pages.

How checks on distributions count for one dataset (as data.europa.eu does it):
accessibility, reusability and contextuality checks score the share of distributions
that pass × the points; interoperability counts the best distribution only (several
distributions usually carry the same content). A dataset without distributions scores
nothing on distribution checks.

Link checks: uploaded files are served by the portal itself and count as reachable;
external links count as reachable only when their latest check (catalog.linkcheck)
succeeded, which `rescore` passes in as `link_status`.

One check is approximated:
- DCAT-AP compliance: the mandatory DCAT-AP.de properties are present (title,
  description, publisher with contributor ID, licence, at least one distribution),
  until the SHACL validation of the RDF export exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, Frequency

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


@dataclass(frozen=True)
class Check:
    code: str
    label: str  # what is checked
    hint: str  # what to do to pass
    points: int  # maximum
    score: float  # reached (may be a share of the maximum)

    @property
    def passed(self) -> bool:
        return self.score >= self.points

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
        return [check.label for check in self.checks if not check.passed]


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
        failed = [check for dimension in self.dimensions for check in dimension.checks if check.missing > 0]
        failed.sort(key=lambda check: -check.missing)
        return [f"{check.hint}: +{check.missing}" for check in failed]


def _share(distributions, test) -> float:
    if not distributions:
        return 0.0
    return sum(1 for distribution in distributions if test(distribution)) / len(distributions)


def assess(dataset, *, distributions=None, link_status: dict | None = None) -> Quality:
    """The MQA score of `dataset`. `distributions` defaults to `dataset.distributions.all()`;
    `link_status` maps distribution pk → reachable (bool) for external links."""
    if distributions is None:
        distributions = list(dataset.distributions.all())
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
        return [
            full(bool(code), 20),
            full(bool(distribution.media_type), 10),
            full(code in FILE_TYPES_BY_CODE, 10),
            full(code in NON_PROPRIETARY_FORMATS, 20),
            full(code in MACHINE_READABLE_FORMATS, 20),
        ]

    best = max(distributions, key=lambda d: sum(interoperability_of(d)), default=None)
    interop = interoperability_of(best) if best is not None else [0.0] * 5
    dcat_ap = bool(
        dataset.title
        and dataset.description
        and dataset.publisher_id
        and dataset.publisher.contributor_id
        and dataset.licence
        and distributions
    )

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
        Check("media_type", str(_("Medientyp angegeben")), str(_("Medientyp angeben")), 10, interop[1]),
        Check("vocabulary", str(_("Format aus kontrolliertem Vokabular")),
              str(_("Format aus dem EU-Vokabular wählen")), 10, interop[2]),
        Check("non_proprietary", str(_("Offenes Format")), str(_("Ein offenes Format anbieten (z. B. CSV)")), 20,
              interop[3]),
        Check("machine_readable", str(_("Maschinenlesbares Format")),
              str(_("Ein maschinenlesbares Format anbieten (z. B. CSV, JSON)")), 20, interop[4]),
        Check("dcat_ap", str(_("DCAT-AP-Pflichtangaben")),
              str(_("DCAT-AP-Pflichtangaben vervollständigen (u. a. Contributor-ID des Herausgebers)")), 30,
              full(dcat_ap, 30)),
    ])  # fmt: skip
    licence_known = dataset.licence in LICENCES_BY_CODE
    reusability = Dimension("reusability", str(_("Wiederverwendbarkeit")), [
        Check("licence", str(_("Lizenz angegeben")), str(_("Lizenz angeben")), 20,
              20 * _share(distributions, lambda d: bool(d.licence or dataset.licence))),
        Check("licence_vocabulary", str(_("Lizenz aus Vokabular")), str(_("Lizenz aus der DCAT-AP.de-Liste wählen")),
              10, 10 * _share(distributions, lambda d: (d.licence or dataset.licence) in LICENCES_BY_CODE)),
        Check("access_rights", str(_("Zugangsrechte angegeben")), str(_("Zugangsrechte festlegen")), 10,
              full(bool(dataset.publication_outcome), 10)),
        Check("access_rights_vocabulary", str(_("Zugangsrechte aus Vokabular")),
              str(_("Zugangsrechte aus dem EU-Vokabular wählen")), 5,
              full(bool(dataset.publication_outcome) and licence_known, 5)),
        Check("contact_point", str(_("Kontaktstelle")), str(_("Kontaktstelle angeben")), 20,
              full(bool(dataset.contact_email or dataset.contact_url), 20)),
        Check("publisher", str(_("Herausgeber")), str(_("Herausgeber angeben")), 10,
              full(bool(dataset.publisher_id), 10)),
    ])  # fmt: skip
    contextuality = Dimension("contextuality", str(_("Kontext")), [
        Check("rights", str(_("Rechtehinweis")), str(_("Namensnennung oder Rechtehinweis angeben")), 5,
              full(bool(dataset.attribution_text), 5)),
        Check("byte_size", str(_("Dateigröße")), str(_("Dateigröße der Distributionen angeben")), 5,
              5 * _share(distributions, lambda d: d.byte_size is not None)),
        Check("issued", str(_("Veröffentlichungsdatum")), str(_("Veröffentlichungsdatum angeben")), 5,
              full(dataset.issued is not None, 5)),
        Check("modified", str(_("Änderungsdatum")), str(_("Änderungsdatum angeben")), 5,
              full(dataset.modified is not None, 5)),
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


# ---------------------------------------------------------------------------
# Persisted score


def latest_link_checks(distributions) -> dict:
    """The newest LinkCheck per external distribution, by distribution pk (one query)."""
    from .models import LinkCheck

    external = [distribution.pk for distribution in distributions if not distribution.is_upload]
    if not external:
        return {}
    checks = LinkCheck.objects.filter(distribution__in=external).order_by("distribution_id", "-checked_at", "-pk")
    if connections[checks.db].features.can_distinct_on_fields:
        return {check.distribution_id: check for check in checks.distinct("distribution_id")}
    # SQLite (the embedded default) has no DISTINCT ON: the first check of each
    # distribution in that order is its newest.
    newest = {}
    for check in checks:
        newest.setdefault(check.distribution_id, check)
    return newest


def rescore(dataset_id: int):
    """Compute the dataset's quality and write it to its QualityScore row (created on
    first use). Safe to run any number of times: the row always holds the result for
    the dataset as it is now. Returns the row, or None if the dataset is gone."""
    from .models import Dataset, QualityScore

    dataset = (
        Dataset.objects.select_related("publisher")
        .prefetch_related("keywords", "themes", "distributions")
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        return None
    distributions = list(dataset.distributions.all())
    checks = latest_link_checks(distributions)
    quality = assess(dataset, distributions=distributions, link_status={pk: c.ok for pk, c in checks.items()})
    titles = {distribution.pk: distribution.title for distribution in distributions}
    broken = [
        {
            "distribution": pk,
            "title": titles[pk],
            "url": check.url,
            "status_code": check.status_code,
            "error": check.error,
            "checked_at": check.checked_at.isoformat(),
        }
        for pk, check in sorted(checks.items())
        if not check.ok
    ]
    score, _created = QualityScore.objects.update_or_create(
        dataset=dataset,
        defaults={
            "points": quality.score,
            "rating": quality.rating,
            "dimensions": {
                d.code: {"label": d.label, "score": d.score, "points": d.points} for d in quality.dimensions
            },
            "checks": [
                {
                    "code": check.code,
                    "dimension": dimension.code,
                    "label": check.label,
                    "hint": check.hint,
                    "points": check.points,
                    "score": round(check.score, 2),
                    "missing": check.missing,
                    "passed": check.passed,
                }
                for dimension in quality.dimensions
                for check in dimension.checks
            ],
            "broken_links": broken,
            "computed_at": timezone.now(),
        },
    )
    return score


def stored(score) -> Quality:
    """The Quality a QualityScore row holds, with labels and hints in the current language
    (the row keeps the German source strings)."""
    from django.utils.translation import gettext

    rows = {code: score.dimensions[code] for code in DIMENSIONS if code in score.dimensions}  # jsonb keeps no order
    dimensions = {code: Dimension(code, gettext(values["label"])) for code, values in rows.items()}
    for check in score.checks:
        dimensions[check["dimension"]].checks.append(
            Check(check["code"], gettext(check["label"]), gettext(check["hint"]), check["points"], check["score"])
        )
    return Quality(list(dimensions.values()))


# ---------------------------------------------------------------------------
# Freshness reminders and the steward's inbox


def stale_datasets(datasets, *, today: date | None = None) -> list:
    """(dataset, Freshness) for each dataset not updated as its frequency promises."""
    pairs = [(dataset, freshness(dataset, today=today)) for dataset in datasets]
    return [(dataset, fresh) for dataset, fresh in pairs if fresh.status == "overdue"]


def send_freshness_reminders(*, today: date | None = None) -> int:
    """Remind the stewards of every published dataset that is overdue for an update, once
    per overdue period: a FreshnessReminder per due date is written in the same
    transaction as the mail is sent, so a second run (or a task delivered twice) sends
    nothing until the dataset is updated and falls overdue again. Returns the number of
    datasets reminded."""
    from django.db import IntegrityError, transaction

    from .models import Dataset, FreshnessReminder
    from .notifications import notify_stale

    candidates = (
        Dataset.objects.published()
        .filter(update_frequency__in=[str(frequency) for frequency in EXPECTED_INTERVAL])
        .select_related("publisher", "steward")
    )
    stale = stale_datasets(candidates, today=today)
    reminded = set(
        FreshnessReminder.objects.filter(dataset__in=[d.pk for d, _f in stale]).values_list("dataset", "due")
    )
    count = 0
    for dataset, fresh in stale:
        if (dataset.pk, fresh.due) in reminded:
            continue
        try:
            with transaction.atomic():
                reminder = FreshnessReminder.objects.create(dataset=dataset, due=fresh.due)
                reminder.recipients = notify_stale(dataset, fresh)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:  # a concurrent run reminded first
            continue
        count += 1
    return count


@dataclass
class QualityTask:
    """A dataset with broken links or overdue for an update, in the inbox's shape."""

    dataset: object
    label: str
    since: object
    due: date | None = None
    overdue: bool = False

    @property
    def title(self) -> str:
        return self.dataset.title

    @property
    def url(self) -> str:
        return self.dataset.get_absolute_url() + "#qualitaet"

    @property
    def organisation(self) -> str:
        return self.dataset.publisher.name


def tasks_for(user) -> list[QualityTask]:
    """For stewards: datasets of their organisations with broken links, and published
    datasets overdue for an update (registered with governance.inbox)."""
    from django.db.models import Q

    from governance.models import Role
    from governance.permissions import organisations_with_role

    from .models import Dataset

    if not user.is_authenticated:
        return []
    from .models import DatasetState

    # One query: datasets with broken links, and published ones with a regular frequency
    # (whether they are overdue is a question of dates, answered here).
    broken = Q(quality_score__isnull=False) & ~Q(quality_score__broken_links=[])
    regular = Q(state=DatasetState.PUBLISHED, update_frequency__in=[str(frequency) for frequency in EXPECTED_INTERVAL])
    datasets = (
        Dataset.objects.filter(publisher__in=organisations_with_role(user, Role.STEWARD).values("pk"))
        .filter(broken | regular)
        .select_related("publisher", "quality_score")
        .order_by("pk")
    )
    tasks = []
    today = timezone.localdate()
    for dataset in datasets:
        score = getattr(dataset, "quality_score", None)
        if score is not None and score.broken_links:
            tasks.append(QualityTask(dataset, str(_("Nicht erreichbare Links prüfen")), score.computed_at))
        fresh = freshness(dataset, today=today)
        if dataset.is_published and fresh.status == "overdue":
            tasks.append(QualityTask(dataset, str(_("Datensatz aktualisieren")), None, fresh.due, True))
    return tasks
