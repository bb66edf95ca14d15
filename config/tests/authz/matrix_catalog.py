"""Matrix of the staff catalog (datasets, classification, workflow, distributions,
import, harvesting) and of data sharing (agreements, internal catalog, access requests,
grants, shared datasets).

The rules (DESIGN.md "Who uses it", catalog/permissions.py, sharing/permissions.py):
stewards, owners, legal reviewers and governance admins read their organisation's
catalog in every state; ethics board members see only what waits for the board; only
stewards change datasets, and each workflow step belongs to the role of its stage.
Org B's steward is the other tenant: org A's datasets, imports, sources and requests
do not exist for them, except what sharing deliberately opens up."""

from datetime import timedelta

from django.utils import timezone

from .matrix import (
    ADMIN_A,
    LEGAL_A,
    OWNER_A,
    STAFF,
    STAFF_A,
    STEWARD_A,
    STEWARD_B,
    Route,
    dataset_name,
    routes,
)

READERS_A = frozenset({STEWARD_A, OWNER_A, LEGAL_A, ADMIN_A})  # the catalog's reading roles in org A
STEWARDS = frozenset({STEWARD_A, STEWARD_B})
HARVEST_READERS = frozenset({STEWARD_A, STEWARD_B, ADMIN_A})
DRAFTERS = frozenset({STEWARD_A, STEWARD_B, OWNER_A})  # stewards and owners draft agreements

# Who sees a dataset of the staff catalog, by workflow state.
SEES_DATASET = {
    "draft": READERS_A,
    "in_review": READERS_A,
    "ethics_review": STAFF_A,  # the board member sees what waits for the board
    "legal_review": READERS_A,
    "approved": READERS_A,
    "published": READERS_A,
    "returned": READERS_A,
    "withdrawn": READERS_A,
    "draft_b": frozenset({STEWARD_B}),
    "published_b": frozenset({STEWARD_B}),
}
EDITS_DATASET = {label: frozenset({STEWARD_B if label.endswith("_b") else STEWARD_A}) for label in SEES_DATASET}

READING_WHY = (
    "Reading roles (steward, owner, legal reviewer, governance admin) read their organisation's catalog in every "
    "state, the legal reviewer included (not only what was submitted): product choice, internal metadata of the "
    "same organisation. Ethics board members see only datasets in ethics review; other tenants see nothing."
)
IN_REVIEW_WHY = (
    "In review the steward still reaches the form (200); saving is refused with a message because a dataset in "
    "review does not change under the reviewers' hands (catalog.services.refuse_while_in_review)."
)


def first(labels: str) -> str:
    return labels.partition("@")[0]


def last(labels: str) -> str:
    return labels.partition("@")[2]


def allowed_by(table: dict) -> dict:
    return {label: frozenset(roles) for label, roles in table.items()}


# ---------------------------------------------------------------------------
# Catalog: URL kwargs and POST bodies


def distribution_of(world, label):
    dataset = world.dataset(label)
    return {"name": dataset.name, "pk": dataset.distributions.exclude(file="").order_by("pk").first().pk}


# The workflow's cells: "<action>@<dataset label>", each step in the state it belongs to.
TRANSITIONS = {
    "submit@draft": {STEWARD_A},
    "sign_off@in_review": {OWNER_A},
    "approve@legal_review": {LEGAL_A},
    "return@legal_review": {LEGAL_A},  # the stage's role returns: not the owner any more
    "rereview@approved": {STEWARD_A, OWNER_A, LEGAL_A},
    "withdraw@published": {STEWARD_A, OWNER_A, LEGAL_A},
    "submit@draft_b": {STEWARD_B},
}


# The review of a pending change (catalog.changes.TRANSITIONS): "<action>@<change label>".
CHANGE_TRANSITIONS = {
    "submit_change@change_open": {STEWARD_A},
    "discard_change@change_open": {STEWARD_A},
    "sign_off_change@change_in_review": {OWNER_A},
    "return_change@change_in_review": {OWNER_A},
    "approve_change@change_legal_review": {LEGAL_A},
    "return_change@change_legal_review": {LEGAL_A},  # the stage's role: not the owner any more
}
SEES_CHANGE = dict.fromkeys(("change_open", "change_in_review", "change_legal_review"), READERS_A)


def change_kwargs(world, label):
    change = world.pending_change(label)
    return {"name": change.dataset.name, "number": change.number}


def change_transition_kwargs(world, label):
    return {**change_kwargs(world, last(label)), "action": first(label)}


def change_transition_data(world, label):
    action, change = first(label), world.pending_change(last(label))
    change.refresh_from_db(fields=["version"])
    return {
        f"{action}-expected_version": change.version,
        f"{action}-reasons": "Matrixprüfung: begründete Entscheidung.",
        f"{action}-confirmed": "on",
    }


def transition_kwargs(world, label):
    return {"name": world.dataset(last(label)).name, "action": first(label)}


def transition_data(world, label):
    action, dataset = first(label), world.dataset(last(label))
    dataset.refresh_from_db(fields=["version"])
    return {
        f"{action}-expected_version": dataset.version,
        f"{action}-reasons": "Matrixprüfung: begründete Entscheidung.",
        f"{action}-confirmed": "on",
    }


def distribution_data(world, label):
    return {
        "title": "Lärmkarte als Webdienst",
        "kind": "service",
        "access_url": "https://geodienste.lindenau.example/laerm",
        "format": "WMS_SRVC",
        "licence": "dl-by-de/2.0",
    }


# ---------------------------------------------------------------------------
# Sharing: the demo's agreements by status, requests and grants

AGREEMENTS = {
    "draft": "Gemeinsame Verkehrsstatistik Lindenau–Eichberg",  # provider org B, recipient org A
    "legal_review": "Lastganganalyse durch die Statistikstelle Eichberg",  # provider org A, recipient org B
    "active": "Kanalnetz für die Bauleitplanung",  # within org A
    "expired_b": "Videoüberwachung: Auswertung für den Kriminalpräventiven Rat",  # within org B
}


def agreement_of(world, label):
    from sharing.models import SharingAgreement

    return world.remember(("agreement", label), lambda: SharingAgreement.objects.get(title=AGREEMENTS[label]))


def agreement_pk(world, label):
    return {"pk": agreement_of(world, last(label) or label).pk}


AGREEMENT_TRANSITIONS = {
    "submit@draft": DRAFTERS,  # the drafting roles of either party
    "approve@legal_review": {LEGAL_A},  # the provider's legal review (four eyes: not involved before)
    "terminate@active": {OWNER_A},
    "terminate@expired_b": set(),  # ended already; org B's steward is no owner anyway
}


def agreement_transition_kwargs(world, label):
    return {"pk": agreement_of(world, last(label)).pk, "action": first(label)}


def agreement_transition_data(world, label):
    action, agreement = first(label), agreement_of(world, last(label))
    agreement.refresh_from_db(fields=["version"])
    return {f"{action}-expected_version": agreement.version, f"{action}-reasons": "Matrixprüfung: Zweck erfüllt."}


def request_pk(world, label):
    return {"pk": world.access_request(last(label) or label).pk}


def request_data(world, label):
    from governance.models import Organisation

    today = timezone.localdate()
    return {
        "recipient": Organisation.objects.get(name="Stadt Eichberg").pk,
        "purpose": "Abstimmung der Verkehrsplanung mit der Nachbarstadt.",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(),
    }


def grant_pk(world, label):
    from sharing.models import AccessGrant

    if label == "shared":
        return {"pk": world.shared_grant().pk}
    dataset = "kanalnetz-lindenau" if label == "in_force_a" else "videoueberwachung-standorte-eichberg"
    return {"pk": AccessGrant.objects.get(dataset__name=dataset).pk}


def shared_name(world, label):
    return {"name": world.shared_grant().dataset.name if label == "shared" else world.dataset(label).name}


def shared_file_kwargs(world, label):
    dataset = world.shared_grant().dataset
    return {"name": dataset.name, "pk": dataset.distributions.exclude(file="").order_by("pk").first().pk}


REQUESTS = {
    "pending_a": {STEWARD_B, STEWARD_A, OWNER_A, ADMIN_A},  # org B's steward asked; org A's providers see it
    "granted_a": {STEWARD_A, OWNER_A, ADMIN_A},  # asked by a unit steward of org A
    "pending_b": {STEWARD_B},
}

ROUTES = routes(
    # -- datasets -------------------------------------------------------------------------
    Route("catalog:dataset_list", get=STAFF, why="Everyone holding a role reads the catalog (filtered per role)."),
    Route(
        "catalog:dataset_create",
        get=STEWARDS,
        post=STEWARDS,
        why="Only data stewards inventory datasets (catalog.permissions.editing_organisations).",
    ),
    Route(
        "catalog:dataset_detail",
        objects=("draft", "ethics_review", "approved", "published", "draft_b", "published_b"),
        kwargs=dataset_name,
        get=allowed_by(SEES_DATASET),
        why=READING_WHY,
    ),
    Route(
        "catalog:dataset_history",
        objects=("in_review", "ethics_review", "draft_b"),
        kwargs=dataset_name,
        get=allowed_by(SEES_DATASET),
        why=READING_WHY,
    ),
    Route(
        "catalog:dataset_edit",
        objects=("in_review", "published", "draft_b"),
        kwargs=dataset_name,
        get=allowed_by(EDITS_DATASET),
        post=allowed_by(EDITS_DATASET),
        why="The publisher's steward edits (on a published dataset the edit becomes a pending change that is "
        "reviewed before the public sees it). " + IN_REVIEW_WHY,
    ),
    Route(
        "catalog:dataset_classify",
        objects=("draft", "ethics_review", "draft_b"),
        kwargs=dataset_name,
        get=allowed_by(EDITS_DATASET),
        post=allowed_by(EDITS_DATASET),
        why="The publisher's steward classifies; the board member who sees a dataset in ethics review may not. "
        + IN_REVIEW_WHY,
    ),
    Route(
        "catalog:dataset_transition",
        objects=tuple(TRANSITIONS),
        kwargs=transition_kwargs,
        data=transition_data,
        post=allowed_by(TRANSITIONS),
        post_ok=frozenset({302}),
        why="Each step belongs to a role (catalog.workflow.TRANSITIONS; a return to the role of the stage); the "
        "governance admin audits but never decides, the board decides in the ethics app. Without the role: 403.",
    ),
    Route(
        "catalog:dataset_publish",
        objects=("approved", "published", "draft_b"),
        kwargs=dataset_name,
        get={
            "approved": frozenset({STEWARD_A, OWNER_A, LEGAL_A}),
            "published": frozenset({STEWARD_A, OWNER_A, LEGAL_A}),
            "draft_b": frozenset({STEWARD_B}),
        },
        get_ok=frozenset({200, 302}),
        why="The preview before publishing (issue 22) answers whoever may publish (catalog.workflow.PUBLISHERS of "
        "the publisher); where the dataset cannot be published now (a decision that keeps it internal, already "
        "published, a draft) they are sent back to the dataset page with the reason (302). Other staff who see "
        "it: 403; other tenants: 404.",
    ),
    # -- pending changes of approved and published datasets ----------------------------------
    Route(
        "catalog:change_detail",
        objects=tuple(SEES_CHANGE),
        kwargs=change_kwargs,
        get=allowed_by(SEES_CHANGE),
        why=READING_WHY,
    ),
    Route(
        "catalog:change_transition",
        objects=tuple(CHANGE_TRANSITIONS),
        kwargs=change_transition_kwargs,
        data=change_transition_data,
        post=allowed_by(CHANGE_TRANSITIONS),
        post_ok=frozenset({302}),
        why="A change is reviewed like a publication (catalog.changes.TRANSITIONS): the steward submits or "
        "discards, the owner signs off, the legal reviewer approves; whoever edited or submitted it does not "
        "review it. Without the role: 403.",
    ),
    # -- distributions --------------------------------------------------------------------
    Route(
        "catalog:distribution_create",
        objects=("draft", "in_review", "draft_b"),
        kwargs=dataset_name,
        data=distribution_data,
        get=allowed_by(EDITS_DATASET),
        post=allowed_by(EDITS_DATASET),
        why="The publisher's steward adds files and links. " + IN_REVIEW_WHY,
    ),
    Route(
        "catalog:distribution_file",
        objects=("draft", "published", "draft_b"),
        kwargs=distribution_of,
        get=allowed_by(SEES_DATASET),
        why="Uploaded files are served only after the same check as the dataset's page; /media/ is not public.",
    ),
    Route(
        "catalog:distribution_delete",
        objects=("draft", "in_review", "published", "draft_b"),
        kwargs=distribution_of,
        post=allowed_by(EDITS_DATASET) | {"in_review": {STEWARD_A}},
        post_ok=frozenset({302}),
        why="The publisher's steward removes distributions; in review the removal is refused with a message "
        "(302 back to the dataset, nothing removed); on a published dataset it is marked for removal by the "
        "pending change.",
    ),
    # -- inventory import -----------------------------------------------------------------
    Route("catalog:import_start", get=STEWARDS, post=STEWARDS, why="Imports are for data stewards."),
    Route(
        "catalog:import_template",
        kwargs=lambda world, label: {"file_format": "csv"},
        get=STEWARDS,
        why="The empty template is for data stewards, like the import.",
    ),
    Route(
        "catalog:import_detail",
        objects=("import_a", "import_b"),
        kwargs=lambda world, label: {"pk": world.inventory_import(label).pk},
        get={"import_a": {STEWARD_A}, "import_b": {STEWARD_B}},
        why="The uploader and the stewards of the import's organisation; nobody else learns it exists.",
    ),
    Route(
        "catalog:import_progress",
        objects=("import_a", "import_b"),
        kwargs=lambda world, label: {"pk": world.inventory_import(label).pk},
        get={"import_a": {STEWARD_A}, "import_b": {STEWARD_B}},
        get_ok=frozenset({200, 204}),
    ),
    # -- harvesting -----------------------------------------------------------------------
    Route(
        "catalog:harvest_source_list",
        get=HARVEST_READERS,
        why="Stewards and governance admins read the sources feeding their organisations.",
    ),
    Route(
        "catalog:harvest_source_create",
        get={ADMIN_A},
        post={ADMIN_A},
        why="Governance admins configure harvesting (catalog.permissions.harvest_admin_organisations).",
    ),
    Route(
        "catalog:harvest_source_detail",
        objects=("harvest_a", "harvest_b"),
        kwargs=lambda world, label: {"pk": world.harvest_source(label).pk},
        get={"harvest_a": {STEWARD_A, ADMIN_A}, "harvest_b": {STEWARD_B}},
    ),
    Route(
        "catalog:harvest_source_edit",
        objects=("harvest_a", "harvest_b"),
        kwargs=lambda world, label: {"pk": world.harvest_source(label).pk},
        get={"harvest_a": {ADMIN_A}},
        post={"harvest_a": {ADMIN_A}},
        why="Only the governance admin of the source's organisation; its stewards read (403), others 404.",
    ),
    Route(
        "catalog:harvest_start",
        objects=("harvest_a", "harvest_b"),
        kwargs=lambda world, label: {"pk": world.harvest_source(label).pk},
        data={"scope": "full"},
        post={"harvest_a": {ADMIN_A}},
        post_ok=frozenset({302}),
    ),
    Route(
        "catalog:harvest_job_detail",
        objects=("harvest_a", "harvest_b"),
        kwargs=lambda world, label: {"pk": world.harvest_job(label).pk},
        get={"harvest_a": {STEWARD_A, ADMIN_A}, "harvest_b": {STEWARD_B}},
    ),
    Route(
        "catalog:harvest_job_progress",
        objects=("harvest_a", "harvest_b"),
        kwargs=lambda world, label: {"pk": world.harvest_job(label).pk},
        get={"harvest_a": {STEWARD_A, ADMIN_A}, "harvest_b": {STEWARD_B}},
        get_ok=frozenset({200, 204}),
    ),
    # -- sharing: agreements --------------------------------------------------------------
    Route("sharing:overview", get=STAFF, why="Everyone holding a role; the list shows only their parties' agreements."),
    Route(
        "sharing:agreement_create",
        get=DRAFTERS,
        post=DRAFTERS,
        why="Stewards and owners draft agreements (sharing.permissions.drafting_organisations).",
    ),
    Route(
        "sharing:agreement_detail",
        objects=tuple(AGREEMENTS),
        kwargs=agreement_pk,
        get={
            "draft": STAFF_A | {STEWARD_B},
            "legal_review": STAFF_A | {STEWARD_B},
            "active": STAFF_A,
            "expired_b": {STEWARD_B},
        },
        why="Anyone holding a role in the providing or the receiving organisation (or above it) reads the "
        "agreement, the ethics board member and the legal reviewer included; other organisations: 404.",
    ),
    Route(
        "sharing:agreement_edit",
        objects=("draft", "legal_review"),
        kwargs=agreement_pk,
        get={"draft": DRAFTERS},
        post={"draft": DRAFTERS},
        why="Only a draft, by the drafting roles of either party; once submitted nobody edits it (403).",
    ),
    Route(
        "sharing:agreement_transition",
        objects=tuple(AGREEMENT_TRANSITIONS),
        kwargs=agreement_transition_kwargs,
        data=agreement_transition_data,
        post=allowed_by(AGREEMENT_TRANSITIONS),
        post_ok=frozenset({302}),
        why="Drafting roles of either party submit, the stage's role of the provider decides, the owners of "
        "either party end it; anyone else who sees the agreement gets 403.",
    ),
    # -- sharing: internal catalog and requests ---------------------------------------------
    Route("sharing:catalog", get=STAFF, why="The internal catalog of the network is for everyone holding a role."),
    Route(
        "sharing:catalog_dataset",
        objects=("draft", "published", "draft_b", "published_b"),
        kwargs=dataset_name,
        get={"draft": STAFF, "published": READERS_A, "draft_b": STAFF, "published_b": {STEWARD_B}},
        why="Classified, unpublished datasets are listed network-wide as metadata only (so that access can be "
        "requested, also across the tenants); published ones are open anyway and only their providers see them here.",
    ),
    Route(
        "sharing:request_create",
        objects=("draft", "published"),
        kwargs=dataset_name,
        data=request_data,
        get={"draft": STAFF, "published": READERS_A},
        post={"draft": STAFF, "published": READERS_A},
        get_ok=frozenset({200, 302}),
        post_ok=frozenset({200, 302}),
        why="Whoever finds the dataset in the internal catalog may ask; its providers are sent back to the "
        "dataset (302), since their role already gives them access.",
    ),
    Route("sharing:request_list", get=STAFF, why="Everyone holding a role; lists only what they provide for."),
    Route(
        "sharing:request_detail",
        objects=tuple(REQUESTS),
        kwargs=request_pk,
        get=allowed_by(REQUESTS),
        why="The requester, and the owners, stewards and admins of the dataset's organisation.",
    ),
    Route(
        "sharing:request_decide",
        objects=("gewaehren@pending_a", "ablehnen@pending_a", "gewaehren@pending_b"),
        kwargs=lambda world, label: {"pk": world.access_request(last(label)).pk, "decision": first(label)},
        data={"reasons": "Matrixprüfung: Zweck und Rechtsgrundlage geprüft."},
        post={"gewaehren@pending_a": {OWNER_A}, "ablehnen@pending_a": {OWNER_A}},
        post_ok=frozenset({302}),
        why="The data owner of the provider decides, never the requester; stewards and admins who see the "
        "request get 403.",
    ),
    Route(
        "sharing:request_withdraw",
        objects=("pending_a", "granted_a"),
        kwargs=request_pk,
        post={"pending_a": {STEWARD_B}},
        post_ok=frozenset({302}),
        why="Only the requester withdraws; the provider's roles who see the request get 403.",
    ),
    Route("sharing:my_access", get=STAFF, why="Everyone holding a role sees their own grants and requests."),
    Route(
        "sharing:grant_revoke",
        objects=("shared", "in_force_a", "ended_b"),
        kwargs=grant_pk,
        data={"reasons": "Matrixprüfung: Projekt abgeschlossen."},
        post={"shared": {OWNER_A}, "in_force_a": {OWNER_A}},
        post_ok=frozenset({302}),
        why="The provider's data owner revokes; the grant's holder and the provider's other roles see it (403).",
    ),
    # -- sharing: reading a shared dataset --------------------------------------------------
    Route(
        "sharing:shared_dataset",
        objects=("shared", "draft"),
        kwargs=shared_name,
        get={"shared": {STEWARD_B}},
        why="Only through a grant in force; the provider's own roles read the dataset in the staff catalog, "
        "not here (404).",
    ),
    Route(
        "sharing:shared_file",
        objects=("shared",),
        kwargs=shared_file_kwargs,
        get={"shared": {STEWARD_B}},
        why="The files of a shared dataset after the same check as its page.",
    ),
)
