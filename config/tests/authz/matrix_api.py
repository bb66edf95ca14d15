"""Matrix of the REST API under /api/v1/: one entry per operation of the OpenAPI schema
(its operationId), who may call it on which object. test_api_matrix.py checks that the
entries and the schema's operations are the same set, and runs every cell.

An operation's method and path come from the schema; the entry names the objects (labels
of the world or of this file), the path parameters and the JSON body for each, and the
roles allowed per object. A write that an allowed role sends here is a valid one: the
allowed cell proves the action works for that role, the denied cells that the same
valid request is refused without a trace.

Where a role passes the permission check but the object's state or a field refuses the
request (409 conflict, 400 for a choice outside the role's own organisations), the
entry says so in `refused` (label -> roles, statuses); those cells must not write either.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .matrix import (
    ADMIN_A,
    ETHICS_A,
    EVERYONE,
    LEGAL_A,
    NO_OBJECT,
    NOBODY,
    OWNER_A,
    STAFF,
    STAFF_A,
    STEWARD_A,
    STEWARD_B,
)
from .world import World

# Roles that read the internal catalog of org A (catalog.permissions.READING_ROLES); the
# ethics board of A sees only the datasets waiting for its outcome.
READERS_A = frozenset({STEWARD_A, OWNER_A, LEGAL_A, ADMIN_A})
PUBLISHERS_A = frozenset({STEWARD_A, OWNER_A, LEGAL_A})  # publish and withdraw (catalog.workflow)
DATASET_STATES = ("draft", "ethics_review", "approved", "published", "withdrawn", "draft_b", "published_b")
INTERNAL_STATES = ("draft", "ethics_review", "published", "draft_b", "published_b")  # where the answers differ
# Who sees a dataset at all (through the portal's door or the internal catalog).
READABLE = {
    "draft": READERS_A,
    "in_review": READERS_A,
    "legal_review": READERS_A,
    "ethics_review": READERS_A | {ETHICS_A},
    "approved": READERS_A,
    "returned": READERS_A,
    "withdrawn": READERS_A,
    "published": EVERYONE,
    "draft_b": frozenset({STEWARD_B}),
    "published_b": EVERYONE,
}
# Who sees it in the internal catalog (workflow, decisions, classifications).
INTERNAL = {**READABLE, "published": READERS_A, "published_b": frozenset({STEWARD_B})}
STEWARD_OF = {label: frozenset({STEWARD_B if label.endswith("_b") else STEWARD_A}) for label in READABLE}
TODAY = datetime.date.today()
IN_A_MONTH = TODAY + datetime.timedelta(days=30)

Allowed = frozenset | Mapping[str, frozenset]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    allowed: Allowed = NOBODY
    objects: tuple[str, ...] = (NO_OBJECT,)
    params: Callable[[World, str], dict] | None = None  # path parameters by name
    body: Callable[[World, str], dict] | dict | None = None  # JSON body of a write
    ok: frozenset | None = None  # what an allowed cell answers; by method if None
    refused: Mapping[str, tuple[frozenset, frozenset]] = field(default_factory=dict)
    why: str = ""

    def allowed_roles(self, label: str) -> frozenset:
        if isinstance(self.allowed, Mapping):
            return frozenset(self.allowed.get(label, NOBODY))
        return frozenset(self.allowed)

    def refusal(self, label: str, role: str) -> frozenset:
        roles, statuses = self.refused.get(label, (NOBODY, frozenset()))
        return frozenset(statuses) if role in roles else frozenset()

    def ok_statuses(self, method: str) -> frozenset:
        if self.ok is not None:
            return self.ok
        return {"GET": frozenset({200}), "POST": frozenset({200, 201}), "DELETE": frozenset({204})}.get(
            method, frozenset({200})
        )

    def path_params(self, world: World, label: str) -> dict:
        return self.params(world, label) if self.params else {}

    def json_body(self, world: World, label: str) -> dict:
        if callable(self.body):
            return self.body(world, label)
        return dict(self.body or {})


def operations(*entries: Operation) -> dict[str, Operation]:
    table = {}
    for entry in entries:
        assert entry.operation_id not in table, f"{entry.operation_id} is in the API matrix twice"
        table[entry.operation_id] = entry
    return table


def per_label(rule: Mapping[str, frozenset], labels) -> dict[str, frozenset]:
    return {label: frozenset(rule.get(label, NOBODY)) for label in labels}


# ---------------------------------------------------------------------------
# Objects of the world the API matrix talks about


def _user(world: World, username: str):
    from django.contrib.auth import get_user_model

    return world.remember(("api-user", username), lambda: get_user_model().objects.get(username=username))


ORGANISATIONS = {"org_a": "lindenau", "org_b": "eichberg", "unit_a": "lindenau-umwelt"}
# Moving a unit: within its own city, or into the other city's tree (which would hand its
# data to the stewards and admins there).
NEW_PARENT = {"unit_a": "lindenau-stadtplanung", "unit_a_to_b": "eichberg"}


def organisation_params(world: World, label: str) -> dict:
    return {"slug": ORGANISATIONS[label.removesuffix("_to_b")]}


def organisation_patch(world: World, label: str) -> dict:
    from governance.models import Organisation

    current = Organisation.objects.get(slug=organisation_params(world, label)["slug"])
    body = {"version": current.version, "email": "daten@example.org", "reason": "Matrixtest"}
    if label in NEW_PARENT:
        body["parent"] = NEW_PARENT[label]
    return body


def decision_params(world: World, label: str) -> dict:
    from governance.models import Decision

    slug = {"decision_a": "lindenau-umwelt", "decision_b": "eichberg-tiefbau"}[label]
    pk = world.remember(
        ("api-decision", label), lambda: Decision.objects.filter(organisation__slug=slug).order_by("pk")[0].pk
    )
    return {"id": pk}


# Policy documents: network-wide (any governance admin maintains it), issued by a unit
# of A (admins of A), issued by B (admins of B only).
DOCUMENTS = {
    "network": "datenstrategie",
    "issued_a": "avv-lastganganalyse-lindenau-eichberg",
    "issued_b": "statistiksatzung-eichberg",
}
RULES_DOCUMENT = "dienstanweisung-veroeffentlichung"  # the rule set of the open-by-default decision


def document_params(world: World, label: str) -> dict:
    return {"slug": DOCUMENTS[label], "document_slug": DOCUMENTS[label]}


def policy_version(world: World, label: str):
    """Policy versions per lifecycle state. Drafts and adopted versions are made here
    (the demo has none); inside the test's transaction, so they vanish with it."""
    from governance import services
    from governance.models import PolicyStatus, PolicyVersion

    if label == "in_force":
        return PolicyVersion.objects.get(document__slug="datenstrategie", status=PolicyStatus.IN_FORCE)
    if label == "superseded":
        return PolicyVersion.objects.get(document__slug="datenstrategie", status=PolicyStatus.SUPERSEDED)
    if label == "in_force_b":
        return PolicyVersion.objects.get(document__slug=DOCUMENTS["issued_b"], status=PolicyStatus.IN_FORCE)
    if label == "rules_in_force":
        return PolicyVersion.objects.get(document__slug=RULES_DOCUMENT, status=PolicyStatus.IN_FORCE)
    slug, author = {
        "draft": (RULES_DOCUMENT, "admin.lindenau"),
        "draft_b": (DOCUMENTS["issued_b"], "admin.eichberg"),
        "adopted": (DOCUMENTS["issued_a"], "admin.lindenau"),
    }[label]
    existing = PolicyVersion.objects.filter(
        document__slug=slug, status__in=[PolicyStatus.DRAFT, PolicyStatus.ADOPTED]
    ).first()
    if existing is not None:
        return existing
    by = _user(world, author)
    from governance.models import PolicyDocument

    # Without a text of its own, the draft copies the adopted one with its sections and rules.
    version = services.create_draft(PolicyDocument.objects.get(slug=slug), by=by, title="Entwurf aus dem Matrixtest")
    if label == "adopted":
        version = services.adopt_version(version, by=by, adopted_by="Werkausschuss", adopted_on=TODAY)
    return version


def version_params(world: World, label: str) -> dict:
    version = policy_version(world, label)
    slug = version.document.slug
    return {"document_slug": slug, "number": version.number, "version_number": version.number}


def rule_params(world: World, label: str) -> dict:
    return {**version_params(world, label), "code": "R-LIZENZ"}


def new_rule_body(world: World, label: str) -> dict:
    """A copy of an existing rule of the version under a new code."""
    from governance.api.serializers import RuleVersionSerializer

    version = policy_version(world, label)
    existing = version.rule_versions.select_related("rule", "section").get(rule__code="R-LIZENZ")
    body = dict(RuleVersionSerializer(existing).data)
    body.pop("number", None)
    return {key: value for key, value in body.items() if value is not None} | {"code": "R-MATRIXTEST"}


# Datasets


def dataset_params(world: World, label: str) -> dict:
    name = world.dataset(label).name
    return {"name": name, "dataset_name": name}


def distribution_params(world: World, label: str) -> dict:
    dataset = world.dataset(label)
    identifier = world.remember(("api-distribution", label), lambda: dataset.distributions.order_by("pk")[0].identifier)
    return {"dataset_name": dataset.name, "identifier": identifier}


# A dataset's CSV file: loaded into the store where the dataset is published (authz/conftest.py).
TABLE_STATES = ("draft", "legal_review", "published", "withdrawn", "draft_b", "published_b")


def table_params(world: World, label: str) -> dict:
    def find():
        return world.dataset(label).distributions.filter(format="CSV").exclude(file="").order_by("pk")[0].identifier

    return {"resource_id": world.remember(("csv", label, "identifier"), find)}


def classification_params(world: World, label: str) -> dict:
    dataset = world.dataset(label)
    return {"dataset_name": dataset.name, "number": dataset.classifications.order_by("-number")[0].number}


def dataset_patch(world: World, label: str) -> dict:
    from catalog.models import Dataset

    dataset = Dataset.objects.get(pk=world.dataset(label).pk)
    return {"version": dataset.version, "description": "Beschreibung aus dem Matrixtest, ausführlich genug."}


def dataset_put(world: World, label: str) -> dict:
    """The whole record as the API shows it, with a new title."""
    from catalog.api.serializers import DatasetWriteSerializer
    from catalog.models import Dataset

    dataset = Dataset.objects.get(pk=world.dataset(label).pk)
    fields = set(DatasetWriteSerializer.Meta.fields) - {"keywords", "themes", "version", "reason", "owner", "steward"}
    body = {name: getattr(dataset, name) for name in fields if name != "publisher"}
    body = {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in body.items()}
    return {name: value for name, value in body.items() if value is not None} | {
        "publisher": dataset.publisher.slug,
        "keywords": list(dataset.keywords.values_list("name", flat=True)),
        "themes": list(dataset.themes.values_list("code", flat=True)),
        "version": dataset.version,
        "title": f"{dataset.title} (Matrixtest)",
    }


def new_dataset(world: World, label: str) -> dict:
    publisher = {"publisher_a": "lindenau-umwelt", "publisher_b": "eichberg-tiefbau"}[label]
    return {
        "name": f"matrixtest-{publisher}",
        "title": "Radwege im Matrixtest",
        "description": "Alle Radwege mit Belag und Breite.",
        "publisher": publisher,
        "contact_name": "Tiefbauamt",
        "contact_email": "tiefbau@example.org",
        "keywords": ["Radverkehr"],
        "themes": ["TRAN"],
    }


# The workflow step each dataset label is exercised with, and who may take it there.
TRANSITION_OF = {
    "draft": "submit",
    "in_review": "sign_off",
    "legal_review": "approve",
    "approved": "publish",
    "published": "withdraw",
    "draft_b": "submit",
    "published_b": "withdraw",
}
TRANSITION_ROLES = {
    "draft": {STEWARD_A},
    "in_review": {OWNER_A},
    "legal_review": {LEGAL_A},
    "published": PUBLISHERS_A,
    "draft_b": {STEWARD_B},
    "published_b": {STEWARD_B},
}


def transition_params(world: World, label: str) -> dict:
    return {"name": world.dataset(label).name, "transition": TRANSITION_OF[label]}


def transition_body(world: World, label: str) -> dict:
    from catalog.models import Dataset

    version = Dataset.objects.get(pk=world.dataset(label).pk).version
    return {"expected_version": version, "reasons": "Schritt aus dem Matrixtest.", "confirmed": True}


def classification_body(world: World, label: str) -> dict:
    dataset = world.dataset(label)
    return {
        "based_on": dataset.classifications.order_by("-number")[0].number,
        "personal_data": 0,  # none
        "confidentiality": 0,  # öffentlich
        "protection_confidentiality": 1,  # normal
        "protection_integrity": 1,
        "protection_availability": 1,
        "spatial_granularity": "point",
        "temporal_granularity": "year",
        "justification": "Sachdaten ohne Personenbezug (Matrixtest).",
    }


# Ethics reviews and data uses, found by their subject (the demo's keys may change).
DATA_USES = {"use_a": "Verkehrsfluss-Analyse mit Kameras an Kreuzungen", "use_b": "KI-gestützte Priorisierung"}


def data_use(world: World, label: str):
    from ethics.models import DataUse

    return world.remember(("api-data-use", label), lambda: DataUse.objects.get(title__startswith=DATA_USES[label]))


def review(world: World, label: str):
    from ethics import services
    from ethics.models import EthicsReview, ReviewStatus

    if label == "answering_a":  # opened here: the demo has no review waiting for answers
        return services.open_review(data_use(world, "use_a"), by=world.user(STEWARD_A))

    def find():
        if label == "voting_a":
            return EthicsReview.objects.get(dataset__name="wohngeldbescheide-lindenau", status=ReviewStatus.VOTING)
        if label == "completed_a":
            return EthicsReview.objects.get(data_use=data_use(world, "use_a"), status=ReviewStatus.COMPLETED)
        if label == "voting_b":
            return EthicsReview.objects.get(data_use=data_use(world, "use_b"), status=ReviewStatus.VOTING)
        return EthicsReview.objects.get(
            dataset__name="infektionsschutz-meldungen-eichberg", status=ReviewStatus.COMPLETED
        )

    return world.remember(("api-review", label), find)


def review_params(world: World, label: str) -> dict:
    return {"id": review(world, label).pk}


def condition_params(world: World, label: str) -> dict:
    condition = review(world, label).conditions.order_by("pk")[0]
    return {"id": condition.review_id, "condition_id": condition.pk}


def answers_body(world: World, label: str) -> dict:
    from ethics import services

    questions = services.questions_for(review(world, label))
    return {"answers": {questions[0].code: {"value": "no", "text": "Matrixtest."}}}


def data_use_params(world: World, label: str) -> dict:
    return {"id": data_use(world, label).pk}


def data_use_body(world: World, label: str) -> dict:
    organisation = ORGANISATIONS["org_b" if label.endswith("_b") else "org_a"]
    return {
        "title": "Parkraum-Sensorik (Matrixtest)",
        "purpose": "Freie Parkplätze anzeigen.",
        "organisation": organisation,
        "public_space_sensors": True,
    }


DATA_REQUESTS = {"open": "Belegung der Parkhäuser", "published": "Baumbestand mit Pflanzjahr"}


def data_request_params(world: World, label: str) -> dict:
    from portal.models import DataRequest

    return {
        "id": world.remember(
            ("api-data-request", label), lambda: DataRequest.objects.get(title__startswith=DATA_REQUESTS[label]).pk
        )
    }


# ---------------------------------------------------------------------------
# The matrix

ORG_ADMINS_A = frozenset({OWNER_A, ADMIN_A})  # governance.permissions.can_change_organisation
STATE_CONFLICT = frozenset({409})
# The governance services refuse a step the version's state does not allow with a
# GovernanceError, which the API answers as 400 (not 409 as the catalog and ethics do).
POLICY_STATE = frozenset({400})
CATALOG_STATE = frozenset({400})  # likewise catalog.errors.CatalogError ("in review, cannot change")
NOT_OWN_ORGANISATION = frozenset({400})

OPERATIONS = operations(
    # -- organisations: public members of the Stadtverbund; owners and governance admins edit their own
    Operation("organisations_list", allowed=EVERYONE),
    Operation("organisations_retrieve", allowed=EVERYONE, objects=("org_a", "org_b"), params=organisation_params),
    Operation(
        "organisations_partial_update",
        objects=("org_a", "org_b", "unit_a", "unit_a_to_b"),
        params=organisation_params,
        body=organisation_patch,
        allowed={"org_a": ORG_ADMINS_A, "unit_a": ORG_ADMINS_A},
        refused={"unit_a_to_b": (ORG_ADMINS_A, NOT_OWN_ORGANISATION)},
        why="The owner (head) or a governance admin of the organisation or a unit above it. A unit moves only "
        "under an organisation they lead themselves: under the other city it would hand its data to the "
        "roles there (400, nothing changes).",
    ),
    # -- decisions: the audit of governance admins, their organisations only
    Operation("decisions_list", allowed={ADMIN_A}),
    Operation(
        "decisions_retrieve",
        objects=("decision_a", "decision_b"),
        params=decision_params,
        allowed={"decision_a": {ADMIN_A}},
    ),
    # -- policies and rules: everyone with a role reads them; governance admins maintain them
    Operation("policy_documents_list", allowed=STAFF),
    Operation(
        "policy_documents_retrieve",
        objects=("network", "issued_b"),
        params=document_params,
        allowed=STAFF,
        why="Policies bind the whole network: anyone with a role reads every document, also another city's.",
    ),
    Operation(
        "policy_documents_create",
        body={"kind": "data_strategy", "title": "Matrixtest-Strategie", "slug": "matrixtest-strategie"},
        allowed={ADMIN_A},
        why="A network-wide document (no issuer): any governance admin.",
    ),
    Operation(
        "policy_documents_versions_list",
        objects=("network", "issued_b"),
        params=document_params,
        allowed=STAFF,
    ),
    Operation(
        "policy_documents_versions_create",
        objects=("network", "issued_a", "issued_b"),
        params=document_params,
        body={"title": "Neuer Entwurf (Matrixtest)", "change_note": "Matrixtest"},
        allowed={"network": {ADMIN_A}, "issued_a": {ADMIN_A}},
        why="Admins of the issuer (or of a unit above it) maintain an issued document; B's admins B's.",
    ),
    Operation(
        "policy_documents_versions_retrieve",
        objects=("in_force", "draft", "in_force_b"),
        params=version_params,
        allowed=STAFF,
        why="Drafts are read by everyone with a role too (the internal area shows them with their status).",
    ),
    Operation(
        "policy_documents_versions_partial_update",
        objects=("draft", "in_force", "draft_b"),
        params=version_params,
        body={"title": "Geänderter Entwurf (Matrixtest)"},
        allowed={"draft": {ADMIN_A}},
        refused={"in_force": ({ADMIN_A}, POLICY_STATE)},
        why="Only a draft changes; an adopted text never does (400, see POLICY_STATE).",
    ),
    Operation(
        "policy_documents_versions_destroy",
        objects=("draft", "in_force", "draft_b"),
        params=version_params,
        allowed={"draft": {ADMIN_A}},
        refused={"in_force": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation(
        "policy_documents_versions_adopt_create",
        objects=("draft", "in_force", "draft_b"),
        params=version_params,
        body={"adopted_by": "Stadtrat", "adopted_on": TODAY.isoformat(), "resolution_number": "MT-1"},
        allowed={"draft": {ADMIN_A}},
        refused={"in_force": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation(
        "policy_documents_versions_put_in_force_create",
        objects=("adopted", "superseded"),
        params=version_params,
        body={"valid_from": TODAY.isoformat()},
        allowed={"adopted": {ADMIN_A}},
        refused={"superseded": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation(
        "policy_documents_versions_repeal_create",
        objects=("in_force", "in_force_b", "superseded"),
        params=version_params,
        body={"on": TODAY.isoformat(), "reason": "Aufgehoben im Matrixtest."},
        allowed={"in_force": {ADMIN_A}},
        refused={"superseded": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation(
        "policy_documents_versions_rules_list",
        objects=("rules_in_force", "draft"),
        params=version_params,
        allowed=STAFF,
    ),
    Operation(
        "policy_documents_versions_rules_retrieve",
        objects=("rules_in_force", "draft"),
        params=rule_params,
        allowed=STAFF,
    ),
    Operation(
        "policy_documents_versions_rules_create",
        objects=("draft", "rules_in_force"),
        params=version_params,
        body=new_rule_body,
        allowed={"draft": {ADMIN_A}},
        refused={"rules_in_force": ({ADMIN_A}, POLICY_STATE)},
        why="Rules change only in a draft.",
    ),
    Operation(
        "policy_documents_versions_rules_partial_update",
        objects=("draft", "rules_in_force"),
        params=rule_params,
        body={"title": "Lizenz (Matrixtest)"},
        allowed={"draft": {ADMIN_A}},
        refused={"rules_in_force": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation(
        "policy_documents_versions_rules_destroy",
        objects=("draft", "rules_in_force"),
        params=rule_params,
        allowed={"draft": {ADMIN_A}},
        refused={"rules_in_force": ({ADMIN_A}, POLICY_STATE)},
    ),
    Operation("rules_list", allowed=STAFF),
    Operation("rules_retrieve", params=lambda world, label: {"code": "R-LIZENZ"}, allowed=STAFF),
    # -- datasets: the portal's door (published) for everyone, the internal catalog for its readers
    Operation("datasets_list", allowed=EVERYONE),
    Operation(
        "datasets_retrieve",
        objects=DATASET_STATES,
        params=dataset_params,
        allowed=per_label(READABLE, DATASET_STATES),
        why="Readers of the publisher see every state (legal review reads its organisation's whole catalog); "
        "the ethics board only datasets in ethics review; everyone else the published ones.",
    ),
    Operation(
        "datasets_create",
        objects=("publisher_a", "publisher_b"),
        body=new_dataset,
        allowed={"publisher_a": {STEWARD_A}, "publisher_b": {STEWARD_B}},
        refused={
            "publisher_a": ({STEWARD_B}, NOT_OWN_ORGANISATION),
            "publisher_b": ({STEWARD_A}, NOT_OWN_ORGANISATION),
        },
        why="Stewards create datasets for their own organisations; another one is not a valid choice (400).",
    ),
    Operation(
        "datasets_update",
        objects=("draft", "published", "draft_b", "published_b"),
        params=dataset_params,
        body=dataset_put,
        allowed=per_label(STEWARD_OF, ("draft", "published", "draft_b", "published_b")),
    ),
    Operation(
        "datasets_partial_update",
        objects=("draft", "in_review", "published", "draft_b", "published_b"),
        params=dataset_params,
        body=dataset_patch,
        allowed={"draft": {STEWARD_A}, "published": {STEWARD_A}, "draft_b": {STEWARD_B}, "published_b": {STEWARD_B}},
        refused={"in_review": ({STEWARD_A}, CATALOG_STATE)},
        why="Stewards of the publisher change metadata, also of a published dataset, but not while it is in "
        "review (the catalog refuses that with 400).",
    ),
    Operation(
        "datasets_transitions_list",
        objects=INTERNAL_STATES,
        params=dataset_params,
        allowed=per_label(INTERNAL, INTERNAL_STATES),
    ),
    Operation(
        "datasets_transitions_create",
        objects=tuple(TRANSITION_OF),
        params=transition_params,
        body=transition_body,
        allowed=per_label(TRANSITION_ROLES, TRANSITION_OF),
        refused={"approved": (PUBLISHERS_A, STATE_CONFLICT)},
        why="Each step needs its role in the publisher (catalog.workflow.TRANSITIONS); readers without it get "
        "403, everyone else does not see the dataset internally (404, or 403 for a published one). The demo's "
        "approved datasets are approved as internal-only: publishing them is refused by the decision (409).",
    ),
    Operation(
        "datasets_decisions_list",
        objects=INTERNAL_STATES,
        params=dataset_params,
        allowed=per_label(INTERNAL, INTERNAL_STATES),
    ),
    Operation(
        "datasets_distributions_list",
        objects=("draft", "published", "draft_b", "published_b"),
        params=dataset_params,
        allowed=per_label(READABLE, DATASET_STATES),
    ),
    Operation(
        "datasets_distributions_retrieve",
        objects=("draft", "published", "draft_b", "published_b"),
        params=distribution_params,
        allowed=per_label(READABLE, DATASET_STATES),
    ),
    Operation(
        "datasets_distributions_create",
        objects=("draft", "published", "draft_b", "published_b"),
        params=dataset_params,
        body={"title": "Baumliste", "access_url": "https://geo.example.org/baeume.csv", "format": "CSV"},
        allowed=per_label(STEWARD_OF, ("draft", "published", "draft_b", "published_b")),
    ),
    Operation(
        "datasets_distributions_destroy",
        objects=("draft", "in_review", "published", "draft_b"),
        params=distribution_params,
        allowed=per_label(STEWARD_OF, ("draft", "published", "draft_b")),
        refused={"in_review": ({STEWARD_A}, CATALOG_STATE)},
        why="Not while the dataset is in review (400).",
    ),
    Operation(
        "datasets_classifications_list",
        objects=("draft", "ethics_review", "published", "draft_b", "published_b"),
        params=dataset_params,
        allowed=per_label(INTERNAL, INTERNAL_STATES),
        why="Classifications are never public, not even of a published dataset.",
    ),
    Operation(
        "datasets_classifications_retrieve",
        objects=("draft", "published", "draft_b", "published_b"),
        params=classification_params,
        allowed=per_label(INTERNAL, INTERNAL_STATES),
    ),
    Operation(
        "datasets_classifications_create",
        objects=("draft", "published", "draft_b", "published_b"),
        params=dataset_params,
        body=classification_body,
        allowed=per_label(STEWARD_OF, ("draft", "published", "draft_b", "published_b")),
    ),
    # -- ethics reviews: the board, the dataset side, the applicant and the auditors
    Operation(
        "ethics_reviews_list",
        allowed=STAFF,
        why="Anyone with a role gets the list; which reviews it holds is checked by the list test.",
    ),
    Operation(
        "ethics_reviews_retrieve",
        objects=("voting_a", "completed_a", "voting_b", "completed_b"),
        params=review_params,
        allowed={
            "voting_a": {STEWARD_A, OWNER_A, ETHICS_A, ADMIN_A},
            "completed_a": {STEWARD_A, ETHICS_A, ADMIN_A},
            "voting_b": {STEWARD_B},
            "completed_b": {STEWARD_B},
        },
        why="voting_a is a dataset's review (its steward and owner answer it); completed_a a data use's "
        "(steward_a applied); the board and the auditors of the organisation read both.",
    ),
    Operation(
        "ethics_reviews_answers_create",
        objects=("answering_a", "voting_a"),
        params=review_params,
        body=answers_body,
        allowed={"answering_a": {STEWARD_A}},
        refused={"voting_a": ({STEWARD_A, OWNER_A, ETHICS_A, ADMIN_A}, STATE_CONFLICT)},
        why="The applicant side answers while the questionnaire is open; once handed over it is a conflict.",
    ),
    Operation(
        "ethics_reviews_votes_create",
        objects=("voting_a", "completed_a", "voting_b"),
        params=review_params,
        body={"vote": "approved", "reasoning": "Vertretbar (Matrixtest)."},
        allowed={"voting_a": {ETHICS_A}},
        refused={"completed_a": ({STEWARD_A, ETHICS_A, ADMIN_A}, STATE_CONFLICT)},
        why="Members of the organisation's ethics board vote while the board deliberates; on a completed "
        "review everyone who sees it hears that it is completed (409) before whether they may vote.",
    ),
    Operation(
        "ethics_reviews_conditions_create",
        objects=("voting_a", "voting_b"),
        params=review_params,
        body=lambda world, label: {
            "text": "Nur auf Stadtteilebene auswerten.",
            "owner": "steward.lindenau-buergeramt",  # a steward of the review's organisation
            "due_on": IN_A_MONTH.isoformat(),
        },
        allowed={"voting_a": {ETHICS_A}},
    ),
    Operation(
        "ethics_reviews_conditions_complete_create",
        objects=("completed_a",),
        params=condition_params,
        body={"evidence": "Auswertung nur auf Stadtteilebene, Ticket 42."},
        allowed={"completed_a": {STEWARD_A, ETHICS_A}},
        why="The person responsible for the condition or a member of the board.",
    ),
    Operation(
        "ethics_reviews_close_create",
        objects=("voting_a", "voting_b"),
        params=review_params,
        body={"reasoning": "Matrixtest.", "public_summary": "Matrixtest.", "next_review_on": IN_A_MONTH.isoformat()},
        refused={"voting_a": ({ETHICS_A}, STATE_CONFLICT)},
        why="The board closes a review once its quorum has voted; the demo's open review lacks the quorum (409).",
    ),
    Operation(
        "data_uses_list",
        allowed=STAFF,
        why="Anyone with a role; the list test checks which data uses it holds.",
    ),
    Operation(
        "data_uses_create",
        objects=("org_a", "org_b"),
        body=data_use_body,
        allowed={"org_a": STAFF_A, "org_b": {STEWARD_B}},
        refused={"org_a": ({STEWARD_B}, NOT_OWN_ORGANISATION), "org_b": (STAFF_A, NOT_OWN_ORGANISATION)},
        why="Anyone with a role registers a data use for an organisation they hold a role in.",
    ),
    Operation(
        "data_uses_retrieve",
        objects=("use_a", "use_b"),
        params=data_use_params,
        allowed={"use_a": {STEWARD_A, ETHICS_A, ADMIN_A}, "use_b": {STEWARD_B}},
    ),
    Operation(
        "data_uses_update",
        objects=("use_a", "use_b"),
        params=data_use_params,
        body=data_use_body,
        allowed={"use_a": {STEWARD_A}, "use_b": {STEWARD_B}},
        why="The applicant and the stewards of the organisation; board and auditors only read.",
    ),
    Operation(
        "data_uses_partial_update",
        objects=("use_a", "use_b"),
        params=data_use_params,
        body={"purpose": "Freie Parkplätze anzeigen (Matrixtest)."},
        allowed={"use_a": {STEWARD_A}, "use_b": {STEWARD_B}},
    ),
    Operation(
        "data_uses_open_review_create",
        objects=("use_a", "use_b"),
        params=data_use_params,
        allowed={"use_a": {STEWARD_A, ETHICS_A}, "use_b": {STEWARD_B}},
        why="The applicant, the stewards of the organisation or its ethics board; B's open review is returned.",
    ),
    # -- data requests: public, wished for by anyone, triaged by stewards and governance admins
    Operation("data_requests_list", allowed=EVERYONE),
    Operation(
        "data_requests_retrieve",
        objects=("open", "published"),
        params=data_request_params,
        allowed={"published": EVERYONE},
        why="Public once triaged; an open request may hold personal data its requester typed in (issue 22).",
    ),
    Operation(
        "data_requests_create",
        body={
            "title": "Standorte der Trinkbrunnen",
            "description": "Bitte veröffentlichen Sie die Standorte aller öffentlichen Trinkbrunnen.",
            "email": "buerger@example.org",
        },
        allowed=EVERYONE,
        ok=frozenset({201}),
        why="Anyone may wish for data, as on the portal (rate-limited per address).",
    ),
    Operation(
        "data_requests_triage_create",
        objects=("open",),
        params=data_request_params,
        body={"status": "in_progress", "answer": "Wir prüfen das (Matrixtest)."},
        allowed={STEWARD_A, STEWARD_B, ADMIN_A},
        why="Data requests belong to the whole network: every steward and governance admin triages them.",
    ),
    # -- queryable tables (datastore, issue 24): anyone reads a published dataset's table;
    # every other one is not in the store at all (404).
    *(
        Operation(
            operation_id,
            objects=TABLE_STATES,
            params=table_params,
            allowed=dict.fromkeys(("published", "published_b"), EVERYONE),
            why="Only public tables are loaded into the store (datastore.permissions.queryable_table).",
        )
        for operation_id in ("tables_retrieve", "tables_rows_retrieve", "tables_groups_retrieve")
    ),
)
