"""Matrix of the public portal, the public ethics pages, the portal's staff pages, the
DCAT-AP.de routes and the API documentation.

The portal's rule: every public page reads through `Dataset.objects.published()`, so an
unpublished dataset does not exist there, for citizens and staff alike (404). Public
pages are read-only (GET); the only public writes are a vote, a comment and a data
request, each rate limited and without an account."""

from portal.models import Comment, CommentStatus, DataRequest

from .matrix import ADMIN_A, EVERYONE, STEWARD_A, STEWARD_B, Route, dataset_name, routes
from .world import World

DATASET_STATES = ("draft", "legal_review", "approved", "published", "withdrawn", "draft_b", "published_b")
PUBLISHED = ("published", "published_b")
ONLY_PUBLISHED = dict.fromkeys(PUBLISHED, EVERYONE)
MODERATORS = frozenset({STEWARD_A, STEWARD_B, ADMIN_A})
FILE_STATES = ("legal_review", "published", "withdrawn", "draft_b", "published_b")


def distribution(world: World, label: str) -> dict:
    """The dataset's CSV file (every dataset used here has one)."""

    def find():
        dataset = world.dataset(label)
        return dataset.distributions.filter(format="CSV").exclude(file="").get()

    return {"name": world.dataset(label).name, "identifier": world.remember(("csv", label), find).identifier}


def table(world: World, label: str) -> dict:
    """The dataset's CSV file as a table of the store; "published_under_b": the table of
    the published dataset under the name of another published one."""
    if label == "published_under_b":
        return {**distribution(world, "published"), "name": world.dataset("published_b").name}
    return distribution(world, label)


def converted(world: World, label: str) -> dict:
    return {**distribution(world, label), "target": "json"}


def data_request(world: World, label: str) -> dict:
    return {"pk": world.remember(("data_request", label), lambda: DataRequest.objects.filter(status=label).get()).pk}


def completed_ethics_review(world: World, label: str) -> dict:
    from ethics.models import EthicsReview, ReviewStatus

    def find():
        reviews = EthicsReview.objects.order_by("pk")
        if label == "completed":
            return reviews.filter(status=ReviewStatus.COMPLETED).first()
        return reviews.exclude(status=ReviewStatus.COMPLETED).first()

    return {"pk": world.remember(("ethics_review", label), find).pk}


def pending_comment(world: World, label: str) -> dict:
    """A comment awaiting moderation on a dataset of org A ("a") or org B ("b")."""

    def find():
        publisher = world.dataset("published" if label == "a" else "published_b").publisher
        comment = Comment.objects.filter(dataset__publisher=publisher, status=CommentStatus.PENDING).first()
        if comment is None:
            dataset = world.dataset("published" if label == "a" else "published_b")
            comment = Comment.objects.create(dataset=dataset, name="Anna", text="Fehlt die Baumhöhe?")
        return comment

    return {"comment": world.remember(("comment", label), find).pk, "decision": "approve"}


ROUTES = routes(
    # Public pages: everyone reads, nobody posts.
    Route("portal:home", get=EVERYONE),
    Route("portal:search", get=EVERYONE, query="?q=Baum&theme=ENVI"),
    Route("portal:register", get=EVERYONE),
    Route("portal:dashboard", get=EVERYONE),
    Route("portal:data_request_list", get=EVERYONE),
    Route("portal:data_request_thanks", get=EVERYONE),
    Route("sitemap", get=EVERYONE),
    Route("robots", get=EVERYONE),
    Route("schema", get=EVERYONE, why="The OpenAPI document of a public Open Data API is public."),
    Route("swagger-ui", get=EVERYONE),
    Route("ethics:public_list", get=EVERYONE),
    Route(
        "ethics:public_detail",
        objects=("completed", "open"),
        kwargs=completed_ethics_review,
        get={"completed": EVERYONE},
        why="Only the public summary of a completed review is published; an open review does not exist publicly.",
    ),
    Route(
        "portal:data_request_detail",
        objects=("open", "declined"),
        kwargs=data_request,
        get={"declined": EVERYONE},
        why=(
            "Data requests are public by design (like FragDenStaat) once staff triaged them; an open one may hold "
            "personal data the requester typed in (issue 22). The requester's e-mail is never shown."
        ),
    ),
    Route(
        "portal:data_request_create",
        get=EVERYONE,
        post=EVERYONE,
        data={"title": "Standorte der Trinkbrunnen", "description": "Als Liste mit Koordinaten.", "email": ""},
        why="Citizens ask for data without an account; spam is met by a honeypot and a rate limit.",
    ),
    Route(
        "portal:dataset_detail",
        objects=DATASET_STATES,
        kwargs=dataset_name,
        get={**ONLY_PUBLISHED, "withdrawn": EVERYONE},
        get_ok=frozenset({200, 410}),
        why=(
            "The portal reaches published datasets only, for everyone including staff; a withdrawn one's old "
            "address says when and why (410 Gone, issue 22), a never-published one does not exist (404)."
        ),
    ),
    Route(
        "portal:register_entry",
        objects=DATASET_STATES,
        kwargs=dataset_name,
        get={"approved": EVERYONE, "withdrawn": EVERYONE},
        why="The register lists final decisions against open publication (approved as internal, withdrawn) only.",
    ),
    Route("portal:download", objects=FILE_STATES, kwargs=distribution, get=ONLY_PUBLISHED),
    Route("portal:convert", objects=FILE_STATES, kwargs=converted, get=ONLY_PUBLISHED),
    # Tables of the store (datastore, issue 24): only a published dataset's checked tables
    # are loaded; the explorer answers under its own dataset's name only.
    Route(
        "datastore:explorer",
        objects=(*FILE_STATES, "published_under_b"),
        kwargs=table,
        get=ONLY_PUBLISHED,
        why="The store holds public tables only (datastore.permissions.queryable_table), for everyone alike.",
    ),
    Route(
        "datastore:table_schema",
        objects=FILE_STATES,
        kwargs=lambda world, label: {"identifier": distribution(world, label)["identifier"]},
        get=ONLY_PUBLISHED,
    ),
    Route(
        "portal:vote",
        objects=DATASET_STATES,
        kwargs=dataset_name,
        post=ONLY_PUBLISHED,
        post_ok=frozenset({302}),
        why="'Finde ich wichtig' needs no account; one vote per browser.",
    ),
    Route(
        "portal:comment",
        objects=DATASET_STATES,
        kwargs=dataset_name,
        post=ONLY_PUBLISHED,
        post_ok=frozenset({302}),
        data={"name": "Anna", "text": "Sind die Daten vollständig?", "website": ""},
    ),
    # DCAT-AP.de: the published catalog only.
    Route("portal:catalog", get=EVERYONE, get_ok=frozenset({303}), why="A browser is sent to the portal's home."),
    Route("portal:catalog_dcat", objects=("ttl", "jsonld"), kwargs=lambda w, fmt: {"format": fmt}, get=EVERYONE),
    Route("portal:catalog_export", objects=("nt",), kwargs=lambda w, fmt: {"format": fmt}, get=EVERYONE),
    Route("portal:dataset", objects=DATASET_STATES, kwargs=dataset_name, get=ONLY_PUBLISHED, get_ok=frozenset({303})),
    Route(
        "portal:dataset_dcat",
        objects=DATASET_STATES,
        kwargs=lambda w, label: {**dataset_name(w, label), "format": "ttl"},
        get=ONLY_PUBLISHED,
    ),
    # Atom feeds of new and changed datasets (portal/feeds.py): published datasets only
    # (tests in portal/tests/test_feeds.py), read by everyone; an unknown organisation or
    # theme does not exist.
    Route("portal:feed", get=EVERYONE),
    Route("portal:feed_ckan", get=EVERYONE, why="CKAN's address of the whole portal's feed."),
    Route(
        "portal:feed_organisation",
        objects=("lindenau", "unbekannt"),
        kwargs=lambda w, slug: {"slug": slug},
        get={"lindenau": EVERYONE},
    ),
    Route("portal:feed_theme", objects=("ENVI", "XXXX"), kwargs=lambda w, code: {"code": code}, get={"ENVI": EVERYONE}),
    Route("portal:feed_search", get=EVERYONE, query="?q=Baum&thema=ENVI&organisation=lindenau"),
    # Staff: data stewards and governance admins triage data requests (they are not
    # owned by an organisation) and moderate comments on their own organisations' data.
    Route("portal:triage_list", get=MODERATORS),
    Route(
        "portal:triage_detail",
        objects=("open",),
        kwargs=data_request,
        get={"open": MODERATORS},
        post={"open": MODERATORS},
        data={"status": "in_progress", "answer": "Wir prüfen Ihren Wunsch.", "dataset": "", "decline_ground": ""},
    ),
    Route(
        "portal:comment_moderation",
        objects=("a", "b"),
        data=pending_comment,
        get={"a": MODERATORS, "b": MODERATORS},
        post={"a": frozenset({STEWARD_A, ADMIN_A}), "b": frozenset({STEWARD_B})},
        why="Everyone who moderates sees the page; a comment is decided only by its own organisation's staff.",
    ),
    # The pages every public website must have, and the sitemap for people: everyone reads;
    # governance admins (of any organisation: the texts speak for the network) edit them.
    Route("portal:legal_impressum", get=EVERYONE),
    Route("portal:legal_datenschutz", get=EVERYONE),
    Route("portal:legal_barrierefreiheit", get=EVERYONE),
    Route("portal:legal_kontakt", get=EVERYONE),
    Route("portal:sitemap_page", get=EVERYONE),
    Route("portal:legal_page_list", get=frozenset({ADMIN_A})),
    Route(
        "portal:legal_page_edit",
        objects=("kontakt",),
        kwargs=lambda w, kind: {"kind": kind},
        get=frozenset({ADMIN_A}),
        post=frozenset({ADMIN_A}),
        data={"body": "# Open-Data-Stelle\n\nStadt Lindenau, Markt 1", "note": ""},
        why="Impressum, privacy and accessibility statements speak for the network: governance admins only.",
    ),
    Route(
        "portal:legal_page_history",
        objects=("kontakt",),
        kwargs=lambda w, kind: {"kind": kind},
        get=frozenset({ADMIN_A}),
    ),
)
