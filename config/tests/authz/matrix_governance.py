"""Matrix of the governance pages (inbox, organisations, roles, policies, audit), the
ethics board's pages, the account pages and Django's admin site.

Org A's people hold their roles at the city of Lindenau, which covers every unit below
it; steward_b is Eichberg's. Objects are looked up in the seeded demo; the few states
the demo lacks (a policy draft, an adopted version, a questionnaire still being
answered, API tokens) are made inside the test's transaction before its cells run."""

import json
from datetime import date, datetime, timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import timezone

from demo.governance import DEMO_PASSWORD

from .matrix import (
    ADMIN_A,
    ETHICS_A,
    EVERYONE,
    LEGAL_A,
    NO_OBJECT,
    NOBODY,
    OUTSIDER,
    OWNER_A,
    SIGNED_IN,
    STAFF,
    STAFF_A,
    STEWARD_A,
    STEWARD_B,
    Route,
    routes,
)
from .world import USERNAMES, World

NEW_PASSWORD = "Matrix-Passwort-2026!"
PASSWORD_CHANGE = {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
ONLY_ADMIN_A = frozenset({ADMIN_A})


def user(username):
    return get_user_model().objects.get(username=username)


def local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------------------
# Organisations and role assignments

ORGANISATIONS = {"org_a": "lindenau", "org_b": "eichberg"}


def organisation(world: World, label: str):
    from governance.models import Organisation

    return world.remember(("organisation", label), lambda: Organisation.objects.get(slug=ORGANISATIONS[label]))


def organisation_slug(world, label):
    return {"slug": ORGANISATIONS[label]}


# A steward's own role: its holder may propose a deputy, the governance admin appoints one
# and may revoke the role.
ASSIGNMENTS = {"steward_a_role": (STEWARD_A, "org_a"), "steward_b_role": (STEWARD_B, "org_b")}


def assignment(world: World, label: str):
    from governance.models import Role, RoleAssignment

    role, org = ASSIGNMENTS[label]
    return world.remember(
        ("assignment", label),
        lambda: RoleAssignment.objects.get(
            user=world.user(role), role=Role.STEWARD, organisation=organisation(world, org), deputy_for=None
        ),
    )


def assignment_pk(world, label):
    return {"pk": assignment(world, label).pk}


# Deputies for the stewards' roles, made inside the test: label -> (the role, the deputy of
# the same city, who appointed it; None: the holder proposed it and it waits for approval).
DEPUTIES = {
    "proposal_a": ("steward_a_role", "owner.lindenau", None),
    "deputy_a": ("steward_a_role", "legal.lindenau", "admin.lindenau"),
    "proposal_b": ("steward_b_role", "owner.eichberg", None),
    "deputy_b": ("steward_b_role", "legal.eichberg", "admin.eichberg"),
}


def deputy(world: World, label: str):
    from governance import services
    from governance.models import RoleAssignment

    role_label, username, appointed_by = DEPUTIES[label]
    principal, person = assignment(world, role_label), user(username)
    found = RoleAssignment.objects.filter(deputy_for=principal, user=person, revoked_at__isnull=True).first()
    if found is None:
        now = timezone.now()
        period = {"valid_from": now + timedelta(days=1), "valid_until": now + timedelta(days=8)}
        if appointed_by is None:
            found = services.propose_deputy(principal, person, by=principal.user, **period, note="Matrix")
        else:
            found = services.appoint_deputy(principal, person, by=user(appointed_by), **period, note="Matrix")
    return found


def deputy_pk(world, label):
    return {"pk": deputy(world, label).pk}


def organisation_form(world, label):
    from governance.forms import OrganisationForm

    org = organisation(world, label)
    data = form_values(org, OrganisationForm.Meta.fields)
    return {**data, "dpo_contact": "datenschutz-neu@lindenau.example", "version": org.version, "reason": "Matrix"}


# ---------------------------------------------------------------------------
# Policies: documents network-wide, issued by A (its Stadtwerke) or by B, and versions in
# each state that changes the answer.

DOCUMENTS = {
    "network": "datenstrategie",  # no issuer: any governance admin maintains it
    "rules_network": "dienstanweisung-veroeffentlichung",  # the rule set, no issuer
    "issuer_a": "avv-lastganganalyse-lindenau-eichberg",  # issued by Stadtwerke Lindenau
    "issuer_b": "statistiksatzung-eichberg",
}


def document(world, label):
    from governance.models import PolicyDocument

    return world.remember(("document", label), lambda: PolicyDocument.objects.get(slug=DOCUMENTS[label]))


def document_slug(world, label):
    return {"slug": DOCUMENTS[label]}


def draft_of(world, label, by_role=ADMIN_A, by_username=None):
    """The open draft of a document, made now if there is none (inside the test)."""
    from governance import services
    from governance.models import PolicyStatus

    doc = document(world, label)
    draft = doc.versions.filter(status=PolicyStatus.DRAFT).first()
    if draft is None:
        by = user(by_username) if by_username else world.user(by_role)
        draft = services.create_draft(doc, by=by)
    return draft


def adopted_version(world):
    """A version adopted by the council but not yet in force (of A's document)."""
    from governance import services
    from governance.models import PolicyStatus

    doc = document(world, "issuer_a")
    adopted = doc.versions.filter(status=PolicyStatus.ADOPTED).first()
    if adopted is None:
        draft = draft_of(world, "issuer_a")
        adopted = services.adopt_version(
            draft, by=world.user(ADMIN_A), adopted_by="Werkausschuss", adopted_on=timezone.localdate()
        )
    return adopted


def version(world, label):
    """Policy versions by state: draft (network rule set, its rules copied), draft_b
    (B's statute), adopted (A's contract), in_force and superseded (the data strategy)."""
    if label == "draft":
        return draft_of(world, "rules_network")
    if label == "draft_b":
        return draft_of(world, "issuer_b", by_username="admin.eichberg")
    if label == "adopted":
        return adopted_version(world)
    number = {"in_force": 2, "superseded": 1}[label]
    return document(world, "network").versions.get(number=number)


def version_kwargs(world, label):
    found = version(world, label)
    return {"slug": found.document.slug, "number": found.number}


RULE_CODE = "R-PERSONENBEZUG"


def rule_kwargs(world, label):
    draft_or_not = {"draft": lambda: draft_of(world, "rules_network")}.get(
        label, lambda: document(world, "rules_network").versions.get(number=1)
    )()
    return {"slug": draft_or_not.document.slug, "number": draft_or_not.number, "code": RULE_CODE}


def rule_form(world, label, code=RULE_CODE):
    """The rule as it stands, resubmitted with a new title: what the rule editor sends."""
    kwargs = rule_kwargs(world, label)
    from governance.models import RuleVersion

    rule_version = RuleVersion.objects.get(
        policy_version__document__slug=kwargs["slug"], policy_version__number=kwargs["number"], rule__code=RULE_CODE
    )
    data = {
        "code": code,
        "title": f"{rule_version.title} (überarbeitet)",
        "section": rule_version.section_id,
        "condition": json.dumps(rule_version.condition),
        "effect": rule_version.effect,
        "ground": rule_version.ground,
        "alternative": rule_version.alternative,
        "review_roles": rule_version.review_roles,
        "conditions_text": rule_version.conditions_text,
        "rereview_months": rule_version.rereview_months or "",
        "explanation": rule_version.explanation,
    }
    return data


# ---------------------------------------------------------------------------
# Audit journal: an event of A, of B and of a network-wide object (no organisation).


def audit_event_seq(world, label):
    from governance.models import AuditEvent, Organisation

    def find():
        events = AuditEvent.objects.order_by("seq")
        if label == "event_network":
            return events.filter(organisation__isnull=True).first().seq
        city = organisation(world, {"event_a": "org_a", "event_b": "org_b"}[label])
        return events.filter(organisation_id__in=Organisation.objects.subtree_ids([city])).first().seq

    return {"seq": world.remember(("audit_event", label), find)}


# ---------------------------------------------------------------------------
# Ethics: reviews open and closed in A and B, one still being answered, a condition, data uses.

DATA_USES = {
    "use_a": "Verkehrsfluss-Analyse mit Kameras an Kreuzungen",
    "use_b": "KI-gestützte Priorisierung von Straßensanierungen",
}


def data_use(world, label):
    from ethics.models import DataUse

    return world.remember(("data_use", label), lambda: DataUse.objects.get(title=DATA_USES[label]))


def data_use_pk(world, label):
    return {"pk": data_use(world, label).pk}


def review(world, label):
    """open_a: a dataset of A in voting; closed_a: A's data use, completed with
    conditions; open_b: B's data use in voting; closed_b: B's dataset, rejected;
    answering_a: a new review of A's data use, its questionnaire still open."""
    from ethics import services
    from ethics.models import EthicsReview, ReviewStatus

    if label == "answering_a":
        return services.open_review(data_use(world, "use_a"), by=world.user(STEWARD_A))

    def find():
        reviews = EthicsReview.objects.select_related("organisation")
        completed = Q(status=ReviewStatus.COMPLETED)
        return {
            "open_a": lambda: reviews.exclude(completed).get(dataset__name="wohngeldbescheide-lindenau"),
            "closed_a": lambda: reviews.filter(completed).get(data_use=data_use(world, "use_a")),
            "open_b": lambda: reviews.exclude(completed).get(data_use=data_use(world, "use_b")),
            "closed_b": lambda: reviews.filter(completed).get(dataset__name="infektionsschutz-meldungen-eichberg"),
        }[label]()

    return world.remember(("review", label), find)


def review_pk(world, label):
    return {"pk": review(world, label).pk}


def condition_pk(world, label):
    condition = review(world, "closed_a").conditions.filter(done_on__isnull=True).order_by("pk").first()
    return {"pk": condition.pk}


def condition_form(world, label):
    found = review(world, label)
    owner = user(f"steward.{found.organisation.slug}")  # holds a role exactly there
    due_on = (date.today() + timedelta(30)).isoformat()
    return {"auflage-text": "Mindestfallzahl 5 je Stadtteil.", "auflage-owner": owner.pk, "auflage-due_on": due_on}


def data_use_form(world, label):
    use = data_use(world, label) if label != NO_OBJECT else None
    return {
        "title": "Parkraumanalyse" if use is None else f"{use.title} (überarbeitet)",
        "purpose": "Belegung der Parkhäuser auswerten, um Suchverkehr zu vermeiden.",
        "organisation": organisation(world, "org_a").pk if use is None else use.organisation_id,
        "algorithmic_system": "on",
    }


# ---------------------------------------------------------------------------
# Account: API tokens of two people.

TOKEN_OWNERS = {"token_a": STEWARD_A, "token_b": STEWARD_B}


def api_token_pk(world, label):
    from governance import services
    from governance.models import ApiToken

    owner = world.user(TOKEN_OWNERS[label])
    token = ApiToken.objects.filter(user=owner, name="Matrix").first()
    if token is None:
        token, _secret = services.create_api_token(owner, name="Matrix", valid_days=30)
    return {"pk": token.pk}


def form_values(obj, fields, **changes) -> dict:
    """A model instance as an HTML form would post it."""
    data = {}
    for name, value in model_to_dict(obj, fields=fields).items():
        field = obj._meta.get_field(name)
        if field.get_internal_type() == "JSONField":
            value = json.dumps(value)
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        elif isinstance(value, list):
            value = [getattr(item, "pk", item) for item in value]
        elif value is None:
            value = ""
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = value
    data.update(changes)
    return data


def tomorrow_and_next_week() -> dict:
    now = timezone.now()
    return {"valid_from": local(now + timedelta(days=1)), "valid_until": local(now + timedelta(days=8))}


# Role assignment: at A or B to the outsider (an account of A), and at A to an account of B
# (only who manages an account gives it a role; B's admins manage B's accounts).
ROLE_ASSIGNMENTS = {"org_a": ("org_a", OUTSIDER), "org_b": ("org_b", OUTSIDER), "org_a_to_b": ("org_a", "newhire_b")}


def role_assign_kwargs(world, label):
    return organisation_slug(world, ROLE_ASSIGNMENTS[label][0])


def role_assign_form(world, label):
    return {"user": world.user(ROLE_ASSIGNMENTS[label][1]).pk, "role": "steward", "note": "Matrix"}


def deputy_form(world, label):
    """A colleague of the same city (the owner) stands in for the steward for a week."""
    colleague = {"steward_a_role": "owner.lindenau", "steward_b_role": "owner.eichberg"}[label]
    return {"deputy": user(colleague).pk, **tomorrow_and_next_week(), "note": "Urlaub"}


READ_ONLY_PAGE = "A page; a POST gets 405 (require_GET), so no form can be posted to it by mistake."

GOVERNANCE = [
    Route("governance:tasks", get=STAFF, why="The inbox: anyone holding a role anywhere. " + READ_ONLY_PAGE),
    Route("governance:organisation_list", get=STAFF, why="Lists only the organisations the person holds a role in."),
    Route(
        "governance:organisation_detail",
        objects=("org_a", "org_b"),
        kwargs=organisation_slug,
        get={"org_a": STAFF_A, "org_b": {STEWARD_B}},
        why="Any role in an organisation (or a unit above it) shows it; other tenants get 404.",
    ),
    Route(
        "governance:organisation_edit",
        objects=("org_a", "org_b"),
        kwargs=organisation_slug,
        get={"org_a": {OWNER_A, ADMIN_A}},
        post={"org_a": {OWNER_A, ADMIN_A}},
        data=organisation_form,
        why="The owner (head of unit) and the governance admin change the master data.",
    ),
    Route(
        "governance:organisation_history",
        objects=("org_a", "org_b"),
        kwargs=organisation_slug,
        get={"org_a": STAFF_A, "org_b": {STEWARD_B}},
    ),
    Route(
        "governance:role_assign",
        objects=tuple(ROLE_ASSIGNMENTS),
        kwargs=role_assign_kwargs,
        get={"org_a": ONLY_ADMIN_A, "org_a_to_b": ONLY_ADMIN_A},
        post={"org_a": ONLY_ADMIN_A},
        data=role_assign_form,
        why="Roles are handed out by the organisation's governance admin only, and only to accounts they manage: "
        "A's admin giving a role to an account of B is refused (403), not just an invalid choice.",
    ),
    Route(
        "governance:role_revoke",
        objects=tuple(ASSIGNMENTS),
        kwargs=assignment_pk,
        post={"steward_a_role": ONLY_ADMIN_A},
        data={"reason": "Wechsel in ein anderes Amt"},
        why="POST only; the governance admin of the role's organisation revokes.",
    ),
    Route(
        "governance:deputy_create",
        objects=tuple(ASSIGNMENTS),
        kwargs=assignment_pk,
        get={"steward_a_role": ONLY_ADMIN_A},
        post={"steward_a_role": ONLY_ADMIN_A},
        data=deputy_form,
        why="Deputies are granted, not taken: the governance admin of the role's organisation appoints one "
        "(the holder proposes, below).",
    ),
    Route(
        "governance:deputy_propose",
        objects=tuple(ASSIGNMENTS),
        kwargs=assignment_pk,
        get={"steward_a_role": {STEWARD_A}, "steward_b_role": {STEWARD_B}},
        post={"steward_a_role": {STEWARD_A}, "steward_b_role": {STEWARD_B}},
        data=deputy_form,
        why="Only the holder of the role proposes a deputy; the proposal does nothing until approved.",
    ),
    Route(
        "governance:deputy_approve",
        objects=("proposal_a", "deputy_a", "proposal_b"),
        kwargs=deputy_pk,
        post={"proposal_a": ONLY_ADMIN_A},
        why="POST only; a governance admin of the organisation approves a proposal (not one they are part "
        "of); an appointed deputy is not approved again, another city's proposal is not found (404).",
    ),
    Route(
        "governance:deputy_end",
        objects=tuple(DEPUTIES),
        kwargs=deputy_pk,
        post={
            "proposal_a": {STEWARD_A, OWNER_A, ADMIN_A},
            "deputy_a": {STEWARD_A, LEGAL_A, ADMIN_A},
            "proposal_b": {STEWARD_B},
            "deputy_b": {STEWARD_B},
        },
        data={"reason": "Früher zurück"},
        why="POST only; the person stood in for, the deputy (or the one proposed) and the organisation's "
        "governance admin end a deputy early or withdraw, decline a proposal.",
    ),
    Route("governance:policy_list", get=STAFF, why="Everyone in the internal area reads the policies."),
    Route(
        "governance:policy_create",
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=lambda world, label: {
            "title": "Dienstanweisung Datenteilung",
            "slug": "dienstanweisung-datenteilung",
            "kind": "instruction",
            "issuer": organisation(world, "org_a").pk,
            "applies_to": [organisation(world, "org_a").pk],
        },
        why="Governance admins maintain the policies.",
    ),
    Route(
        "governance:policy_detail",
        objects=("network", "issuer_a", "issuer_b"),
        kwargs=document_slug,
        get=STAFF,
        why="Policies are read network-wide, whoever issued them.",
    ),
    Route(
        "governance:policy_draft_create",
        objects=("network", "issuer_a", "issuer_b"),
        kwargs=document_slug,
        post={"network": ONLY_ADMIN_A, "issuer_a": ONLY_ADMIN_A},
        why="Any governance admin amends a network-wide document; one with an issuer only its admins.",
    ),
    Route("governance:policy_diff", objects=("network",), kwargs=document_slug, get=STAFF),
    Route(
        "governance:policy_version",
        objects=("draft", "in_force", "superseded", "draft_b"),
        kwargs=version_kwargs,
        get=STAFF,
        why="Every version is readable in the internal area, drafts included (they are discussed there).",
    ),
    Route(
        "governance:policy_version_edit",
        objects=("draft", "in_force", "draft_b"),
        kwargs=version_kwargs,
        get={"draft": ONLY_ADMIN_A},
        post={"draft": ONLY_ADMIN_A},
        data={"title": "Dienstanweisung (Entwurf)", "body": "## 1. Zweck\n\nNeu.", "change_note": "Matrix"},
        why="Only a draft is edited, by an admin who maintains the document; adopted text never changes.",
    ),
    Route(
        "governance:policy_version_discard",
        objects=("draft", "in_force", "draft_b"),
        kwargs=version_kwargs,
        post={"draft": ONLY_ADMIN_A},
        why="Only a draft can be discarded (403 for any other state).",
    ),
    Route(
        "governance:policy_version_adopt",
        objects=("draft", "in_force", "draft_b"),
        kwargs=version_kwargs,
        get={"draft": ONLY_ADMIN_A, "in_force": ONLY_ADMIN_A},
        post={"draft": ONLY_ADMIN_A, "in_force": ONLY_ADMIN_A},
        data={"adopted_by": "Stadtrat", "adopted_on": date.today().isoformat(), "resolution_number": "DS 1/26"},
        why="The document's admins record transitions. The form is shown in any state; a transition the "
        "state does not allow is refused on the form (200) and writes nothing.",
    ),
    Route(
        "governance:policy_version_in_force",
        objects=("adopted", "draft", "draft_b"),
        kwargs=version_kwargs,
        get={"adopted": ONLY_ADMIN_A, "draft": ONLY_ADMIN_A},
        post={"adopted": ONLY_ADMIN_A, "draft": ONLY_ADMIN_A},
        data={"valid_from": (date.today() + timedelta(days=1)).isoformat()},
        why="As adopt: a draft cannot be put in force, the form says why (200).",
    ),
    Route(
        "governance:policy_version_repeal",
        objects=("in_force", "draft", "draft_b"),
        kwargs=version_kwargs,
        get={"in_force": ONLY_ADMIN_A, "draft": ONLY_ADMIN_A},
        post={"in_force": ONLY_ADMIN_A, "draft": ONLY_ADMIN_A},
        data={"on": (date.today() + timedelta(days=1)).isoformat(), "reason": "Durch Ratsbeschluss aufgehoben"},
        why="As adopt: a draft cannot be repealed, the form says why (200).",
    ),
    Route(
        "governance:rule_create",
        objects=("draft", "in_force"),
        kwargs=version_kwargs,
        get={"draft": ONLY_ADMIN_A},
        post={"draft": ONLY_ADMIN_A},
        data=lambda world, label: rule_form(world, label, code="R-MATRIX"),
        why="Rules are added to drafts only (403 on adopted text).",
    ),
    Route(
        "governance:rule_edit",
        objects=("draft", "in_force"),
        kwargs=rule_kwargs,
        get={"draft": ONLY_ADMIN_A},
        post={"draft": ONLY_ADMIN_A},
        data=rule_form,
    ),
    Route("governance:rule_remove", objects=("draft", "in_force"), kwargs=rule_kwargs, post={"draft": ONLY_ADMIN_A}),
    Route("governance:audit", get=ONLY_ADMIN_A, query="?action=create", why="Governance admins are the auditors."),
    Route(
        "governance:audit_export",
        objects=("csv", "json"),
        kwargs=lambda world, label: {"fmt": label},
        get=ONLY_ADMIN_A,
        why="The export is journaled, so a denied request must not write its audit event.",
    ),
    Route("governance:audit_verify", post=ONLY_ADMIN_A, why="Starts the chain check (a background job)."),
    Route(
        "governance:audit_event",
        objects=("event_a", "event_network", "event_b"),
        kwargs=audit_event_seq,
        get={"event_a": ONLY_ADMIN_A, "event_network": ONLY_ADMIN_A},
        why="An auditor sees the events of their organisations and of network-wide objects, not B's.",
    ),
    Route(
        "governance:state_list",
        objects=("pruefungen", "ethik", "links", "aktualisierungen"),
        kwargs=lambda world, label: {"code": label},
        get=ONLY_ADMIN_A,
        why="The lists behind the start page's counts: the governance admins' overview of their organisations.",
    ),
]

# ---------------------------------------------------------------------------
# Ethics board (staff pages; the public summaries are in matrix_portal.py)

OPEN_A_READERS = frozenset({STEWARD_A, OWNER_A, ETHICS_A, ADMIN_A})  # a dataset review: board, admin, the unit
REVIEWS = ("open_a", "closed_a", "open_b", "closed_b")
REVIEW_READERS = {
    "open_a": OPEN_A_READERS,
    "closed_a": {STEWARD_A, ETHICS_A, ADMIN_A},  # a data use: board, admin and its applicant
    "open_b": {STEWARD_B},
    "closed_b": {STEWARD_B},
}
VOTERS = {"open_a": {ETHICS_A}}  # board members of the organisation, while the review is in voting

ETHICS = [
    Route("ethics:review_list", get=STAFF, why="Lists only the reviews the person may see."),
    Route(
        "ethics:review_detail",
        objects=REVIEWS,
        kwargs=review_pk,
        get=REVIEW_READERS,
        why="Board and governance admins of the organisation, the stewards and owners of a reviewed dataset's "
        "unit, and the applicant. Legal reviewers are not part of ethics reviews.",
    ),
    Route(
        "ethics:review_answer",
        objects=("answering_a", "open_a"),
        kwargs=review_pk,
        post={"answering_a": {STEWARD_A}},
        why="The applicant answers while the questionnaire is open; once submitted, nobody.",
    ),
    Route(
        "ethics:review_vote",
        objects=REVIEWS,
        kwargs=review_pk,
        post=VOTERS,
        data={"votum-vote": "conditions", "votum-reasoning": "Nur Stadtteilsummen."},
        why="Board members of the organisation, while the review is in voting; not the applicant.",
    ),
    Route(
        "ethics:condition_add",
        objects=REVIEWS,
        kwargs=review_pk,
        post=VOTERS,
        data=condition_form,
    ),
    Route(
        "ethics:review_close",
        objects=REVIEWS,
        kwargs=review_pk,
        post=VOTERS,
        data={
            "abschluss-reasoning": "Mehrheit",
            "abschluss-public_summary": "Mit Auflagen zulässig.",
            "abschluss-next_review_on": "2030-01-01",
        },
        why="A voting board member may close; without a quorum the page says so (302, nothing written).",
    ),
    Route(
        "ethics:condition_complete",
        objects=("condition_a",),
        kwargs=condition_pk,
        post={"condition_a": {STEWARD_A, ETHICS_A}},
        data={"evidence": "Schilder hängen seit Montag."},
        why="The person responsible for the condition (here steward_a) or a board member marks it done.",
    ),
    Route(
        "ethics:dataset_review",
        objects=("open_a", "closed_b"),
        kwargs=lambda world, label: {"name": review(world, label).dataset.name},
        get={"open_a": OPEN_A_READERS, "closed_b": {STEWARD_B}},
        get_ok=frozenset({302}),
        why="Redirects to the dataset's newest review the person may see; 404 if none.",
    ),
    Route(
        "ethics:data_use_create",
        get=STAFF,
        post=STAFF,
        data=data_use_form,
        why="Anyone with a role registers a data use, for an organisation they hold a role in "
        "(steward_b's form refuses A's organisation: 200).",
    ),
    Route(
        "ethics:data_use_detail",
        objects=tuple(DATA_USES),
        kwargs=data_use_pk,
        get={"use_a": {STEWARD_A, ETHICS_A, ADMIN_A}, "use_b": {STEWARD_B}},
        why="Board, governance admins and stewards of the organisation, and the applicant.",
    ),
    Route(
        "ethics:data_use_edit",
        objects=tuple(DATA_USES),
        kwargs=data_use_pk,
        get={"use_a": {STEWARD_A}, "use_b": {STEWARD_B}},
        post={"use_a": {STEWARD_A}, "use_b": {STEWARD_B}},
        data=data_use_form,
        why="The applicant and the organisation's stewards.",
    ),
    Route(
        "ethics:data_use_open_review",
        objects=tuple(DATA_USES),
        kwargs=data_use_pk,
        post={"use_a": {STEWARD_A, ETHICS_A}, "use_b": {STEWARD_B}},
        why="The applicant, a steward or a board member of the organisation asks for a review (B's is already "
        "open: steward_b is sent to it); governance admins read but do not apply.",
    ),
]

# ---------------------------------------------------------------------------
# Account pages

ACCOUNT = [
    Route(
        "login",
        get=EVERYONE,
        post=EVERYONE,
        get_ok=frozenset({200, 302}),
        data={"username": USERNAMES[STEWARD_A], "password": DEMO_PASSWORD},
        why="Anyone may sign in; a signed-in person is sent on to the inbox (302).",
    ),
    Route(
        "logout",
        post=EVERYONE,
        why="POST only (Django's LogoutView); signing out needs no permission.",
    ),
    Route(
        "password_change",
        get=SIGNED_IN,
        post=SIGNED_IN,
        data={
            "old_password": DEMO_PASSWORD,
            "new_password1": "Matrix-Passwort-2026!",
            "new_password2": "Matrix-Passwort-2026!",
        },
        why="Own password only; the outsider has no usable password, the form says so (200).",
    ),
    Route("password_change_done", get=SIGNED_IN),
    Route(
        "password_reset",
        get=EVERYONE,
        post=EVERYONE,
        data={"email": f"{USERNAMES[STEWARD_A]}@demo.example"},
        why="A reset link goes to the account's address; the page says the same for any address.",
    ),
    Route("password_reset_done", get=EVERYONE),
    Route(
        "password_reset_confirm",
        objects=("invalid_token",),
        kwargs=lambda world, label: {"uidb64": "MQ", "token": "abc-0123456789abcdef"},
        get=EVERYONE,
        post={"invalid_token": EVERYONE},
        data={"new_password1": "Matrix-Passwort-2026!", "new_password2": "Matrix-Passwort-2026!"},
        why="A forged link shows 'invalid link' (200) to anyone and sets no password.",
    ),
    Route("password_reset_complete", get=EVERYONE),
    Route("api_tokens", get=SIGNED_IN, why="Lists the person's own tokens only."),
    Route(
        "api_token_create",
        post=SIGNED_IN,
        data={"name": "Abgleich", "valid_days": "30"},
        why="Any account may hold personal API tokens; a token acts with its holder's roles, so one without a "
        "role reaches nothing beyond the public API.",
    ),
    Route(
        "api_token_revoke",
        objects=tuple(TOKEN_OWNERS),
        kwargs=api_token_pk,
        post={label: {role} for label, role in TOKEN_OWNERS.items()},
        why="Only the token's holder; everyone else gets 404.",
    ),
    Route(
        "set_language",
        get=EVERYONE,
        post=EVERYONE,
        get_ok=frozenset({302}),
        data={"language": "en", "next": "/"},
        why="Everyone chooses the language (a cookie); GET only redirects.",
    ),
]

# ---------------------------------------------------------------------------
# Django's admin site, generated from its registry: for every registered model the change
# list, add, change, delete and history views (and simple-history's version form) on an
# existing row; for org-scoped models a row of A and one of B. The site is for governance
# admins (config/admin.py); what admin_a may do per model follows the rules below, all
# other roles are sent to the admin's login page.


def admin_objects():
    """Model label -> {object label: how to find the row}."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group

    from governance.models import (
        AuditEvent,
        Decision,
        Organisation,
        PolicyVersion,
        Rule,
        RuleVersion,
        VocabularyTerm,
    )

    def in_city(queryset, world, org_label, field="organisation_id"):
        subtree = Organisation.objects.subtree_ids([organisation(world, org_label)])
        return queryset.filter(**{f"{field}__in": subtree}).order_by("pk").first()

    axes_row = {"username": USERNAMES[STEWARD_A], "ip_address": "192.0.2.1", "user_agent": "Matrix"}
    return {
        "auth.group": {"group": lambda world: Group.objects.order_by("pk").first()},
        "auth.user": {
            "user_a": lambda world: world.user(STEWARD_A),
            "user_b": lambda world: world.user(STEWARD_B),
            "newhire_a": lambda world: world.user("newhire_a"),
            "newhire_b": lambda world: world.user("newhire_b"),
        },
        "axes.accessattempt": {
            "attempt": lambda world: AccessAttempt.objects.get_or_create(
                **axes_row, defaults={"get_data": "", "post_data": "", "failures_since_start": 1}
            )[0]
        },
        "axes.accessfailurelog": {"failure": lambda world: AccessFailureLog.objects.get_or_create(**axes_row)[0]},
        "axes.accesslog": {"log": lambda world: AccessLog.objects.get_or_create(**axes_row)[0]},
        "governance.organisation": {
            label: (lambda world, label=label: organisation(world, label)) for label in ORGANISATIONS
        },
        "governance.roleassignment": {
            "role_a": lambda world: assignment(world, "steward_a_role"),
            "role_b": lambda world: assignment(world, "steward_b_role"),
        },
        "governance.policydocument": {"document": lambda world: document(world, "network")},
        "governance.policyversion": {
            "version": lambda world: PolicyVersion.objects.get(document=document(world, "network"), number=2)
        },
        "governance.rule": {"rule": lambda world: Rule.objects.get(code=RULE_CODE)},
        "governance.ruleversion": {
            "rule_version": lambda world: RuleVersion.objects.filter(rule__code=RULE_CODE).first()
        },
        "governance.vocabularyterm": {"term": lambda world: VocabularyTerm.objects.order_by("pk").first()},
        "governance.decision": {
            "decision_a": lambda world: in_city(Decision.objects, world, "org_a"),
            "decision_b": lambda world: in_city(Decision.objects, world, "org_b"),
        },
        "governance.auditevent": {
            "event_a": lambda world: in_city(AuditEvent.objects, world, "org_a"),
            "event_b": lambda world: in_city(AuditEvent.objects, world, "org_b"),
        },
        **strategy_admin_objects(),
    }


def strategy_admin_objects():
    """The strategy's tables are read-only in the admin and carry no role permissions:
    one row of the demo strategy (demo/strategy.py) each, for the superuser only."""
    from strategy import models as strategy

    measure = "HF1-M10"
    return {
        "strategy.strategy": {
            "strategy": lambda world: strategy.Strategy.objects.get(slug="datenstrategie-stadtverbund")
        },
        "strategy.fieldofaction": {"field": lambda world: strategy.FieldOfAction.objects.get(code="HF1")},
        "strategy.goal": {"goal": lambda world: strategy.Goal.objects.get(code="HF1-Z1")},
        "strategy.measure": {"measure": lambda world: strategy.Measure.objects.get(code=measure)},
        "strategy.milestone": {
            "milestone": lambda world: strategy.Milestone.objects.filter(measure__code=measure).first()
        },
        "strategy.measurestatuschange": {
            "status_change": lambda world: strategy.MeasureStatusChange.objects.filter(measure__code=measure).first()
        },
        "strategy.indicator": {"indicator": lambda world: strategy.Indicator.objects.get(code="I-OFFEN")},
        "strategy.indicatorvalue": {
            "value": lambda world: strategy.IndicatorValue.objects.filter(indicator__code="I-OFFEN").first()
        },
    }


# Accounts of A (a steward, a new hire without a role) and of B: admin_a manages A's only.
# A new account is made with a home in A or in B; admin_a may give only A's.
ACCOUNTS_OF_A = {"user_a", "newhire_a"}
ADMIN_ADD_OBJECTS = {"auth.user": ("home_a", "home_b")}

# What admin_a (governance admin of A) may do in the admin, per model: see (change list,
# change form read-only, history), add (True, or the labels of ADMIN_ADD_OBJECTS), change.
# Nobody but a superuser deletes anything, touches groups or login records, or changes
# roles there (roles go through the governance services); decisions and the journal are
# append-only for everyone.
ADMIN_A_MAY = {
    "governance.organisation": {"view": {"org_a"}, "change": {"org_a"}, "add": True},
    "auth.user": {"view": ACCOUNTS_OF_A, "change": ACCOUNTS_OF_A, "add": {"home_a"}},
    "governance.roleassignment": {"view": {"role_a"}},
    "governance.policydocument": {"view": {"document"}},
    "governance.policyversion": {"view": {"version"}},
    "governance.rule": {"view": {"rule"}},
    "governance.ruleversion": {"view": {"rule_version"}},
    "governance.vocabularyterm": {"view": {"term"}},
    "governance.decision": {"view": {"decision_a"}},
    "governance.auditevent": {"view": {"event_a"}},
}

ADMIN_WHY = {
    "governance.organisation": "A governance admin keeps the master data of their organisations (B's: 404); "
    "deleting an organisation is for a superuser.",
    "auth.user": "Governance admins manage the accounts whose home organisation lies in their organisations "
    "and that hold no role elsewhere: B's accounts answer 404, with a role or without (a new hire), also when "
    "the post moves them to A. They create accounts with a home of theirs only (a home in B: 403), and "
    "never see superuser, staff, group or permission fields. On the new hires the change cells deactivate.",
    "governance.roleassignment": "Read-only: roles change through the governance pages, whose services keep "
    "the object permissions in step.",
    "governance.decision": "Append-only, also in the admin; an auditor reads their organisations' decisions.",
    "governance.auditevent": "Append-only, also in the admin; an auditor reads their organisations' events.",
    "auth.group": "Groups carry permissions: only a superuser (no escalation through the admin).",
}


def admin_row(world, model_label, label):
    find = ADMIN_OBJECTS[model_label][label]
    if model_label.startswith("axes."):  # made inside the test, so never remembered past it
        return find(world)
    return world.remember(("admin_row", model_label, label), lambda: find(world))


def admin_form_values(obj, **changes) -> dict:
    """The editable fields of a row as the admin's change form posts them."""
    data = {}
    for field in obj._meta.concrete_fields + obj._meta.many_to_many:
        if not field.editable or field.primary_key or field.auto_created:
            continue
        value = field.value_from_object(obj)
        if field.many_to_many:
            data[field.name] = [item.pk for item in value]
        elif isinstance(value, datetime):
            moment = timezone.localtime(value)
            data[f"{field.name}_0"], data[f"{field.name}_1"] = moment.date().isoformat(), moment.strftime("%H:%M:%S")
        elif field.get_internal_type() == "JSONField":
            data[field.name] = json.dumps(value)
        elif isinstance(value, bool):
            if value:
                data[field.name] = "on"
        elif value is not None:
            data[field.attname if field.is_relation else field.name] = (
                value.isoformat() if isinstance(value, date) else value
            )
    for key in list(data):
        if key.endswith("_id"):
            data[key[:-3]] = data.pop(key)
    data.update(changes)
    return data


def admin_change_data(world, model_label, label):
    obj = admin_row(world, model_label, label)
    if model_label == "auth.user":
        # The home is A's for all four: for B's accounts that is a takeover attempt.
        home = organisation(world, "org_a").pk
        if label.startswith("newhire"):  # deactivate the account
            return {"username": obj.username, "home_organisation": home, "email": obj.email}
        # The escalation fields are posted too: the form of a non-superuser must ignore them.
        group = ADMIN_OBJECTS["auth.group"]["group"](world)
        return {
            "username": obj.username,
            "home_organisation": home,
            "first_name": "Geändert",
            "last_name": obj.last_name,
            "email": obj.email,
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [group.pk],
        }
    return admin_form_values(obj, **({"name": f"{obj} (geändert)"} if hasattr(obj, "name") else {}))


def admin_add_data(world, model_label, label=NO_OBJECT):
    if model_label == "auth.user":
        city = {"home_a": "org_a", "home_b": "org_b"}[label]
        return {"username": f"neu.{ORGANISATIONS[city]}", "home_organisation": organisation(world, city).pk,
                "usable_password": "true", "password1": "Matrix-Passwort-2026!",
                "password2": "Matrix-Passwort-2026!"}  # fmt: skip
    if model_label == "auth.group":
        return {"name": "Matrix-Gruppe"}
    if model_label == "governance.roleassignment":
        now = timezone.localtime()
        return {"user": world.user("outsider").pk, "role": "governance_admin",
                "organisation": organisation(world, "org_b").pk, "valid_from_0": now.date().isoformat(),
                "valid_from_1": now.strftime("%H:%M:%S"), "note": "Eskalation"}  # fmt: skip
    labels = list(ADMIN_OBJECTS[model_label])
    obj = admin_row(world, model_label, labels[0])
    changes = {}
    for name in ("slug", "code", "username", "name", "title"):
        if hasattr(obj, name):
            changes[name] = f"matrix-{getattr(obj, name)}"[:40]
    if model_label == "governance.organisation":
        changes["parent"] = organisation(world, "org_a").pk
    return admin_form_values(obj, **changes)


def admin_routes() -> list[Route]:
    from simple_history.admin import SimpleHistoryAdmin

    generated = []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower):
        model_label = model._meta.label_lower
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        labels = tuple(ADMIN_OBJECTS[model_label])  # a newly registered model fails here until it has a row
        add_labels = ADMIN_ADD_OBJECTS.get(model_label, (NO_OBJECT,))
        may = ADMIN_A_MAY.get(model_label, {})
        may_add = add_labels if may.get("add") is True else tuple(may.get("add", ()))
        view = dict.fromkeys(may.get("view", ()), ONLY_ADMIN_A)
        change = dict.fromkeys(may.get("change", ()), ONLY_ADMIN_A)
        any_view = ONLY_ADMIN_A if view else NOBODY
        why = ADMIN_WHY.get(model_label, "Read-only in the admin for governance admins." if view else
                            "Only a superuser.")  # fmt: skip

        def object_id(world, label, model_label=model_label):
            return {"object_id": admin_row(world, model_label, label).pk}

        generated += [
            Route(
                f"{prefix}_changelist",
                get=any_view,
                post=any_view,
                why=why + " The list's POST (bulk actions) offers no delete action to them.",
            ),
            Route(
                f"{prefix}_add",
                objects=add_labels,
                get=dict.fromkeys(add_labels, ONLY_ADMIN_A if may_add else NOBODY),
                post=dict.fromkeys(may_add, ONLY_ADMIN_A),
                data=lambda world, label, model_label=model_label: admin_add_data(world, model_label, label),
                why=why,
            ),
            Route(
                f"{prefix}_change",
                objects=labels,
                kwargs=object_id,
                get=view,
                post=change,
                data=lambda world, label, model_label=model_label: admin_change_data(world, model_label, label),
                why=why,
            ),
            Route(f"{prefix}_delete", objects=labels, kwargs=object_id, data={"post": "yes"}, why=why),
            Route(
                f"{prefix}_history",
                objects=labels,
                kwargs=object_id,
                get=view,
                post=view,
                why=why + " The history page ignores the method (a POST shows it too).",
            ),
        ]
        if isinstance(model_admin, SimpleHistoryAdmin):

            def version(world, label, model_label=model_label):
                row = admin_row(world, model_label, label)
                # simple-history's pattern has unnamed groups: (object id, version id)
                return (row.pk, row.history.order_by("-history_id").first().history_id)

            generated.append(
                Route(
                    f"{prefix}_simple_history",
                    objects=labels,
                    kwargs=version,
                    get=view,
                    post=change,
                    data=lambda world, label, model_label=model_label: admin_change_data(world, model_label, label),
                    why=why + " Reverting to an old version is a change and needs the change permission.",
                )
            )
    return generated


ADMIN_OBJECTS = admin_objects()


def user_object_id(world, label):
    return {"id": admin_row(world, "auth.user", label).pk}


ADMIN = [
    Route("admin:index", get=ONLY_ADMIN_A, post=ONLY_ADMIN_A, why="The admin site is for governance admins."),
    Route(
        "admin:login",
        get=EVERYONE,
        post=EVERYONE,
        get_ok=frozenset({200, 302}),
        data={"username": USERNAMES[ADMIN_A], "password": DEMO_PASSWORD},
        why="The login form is public; a governance admin is sent on to the index.",
    ),
    Route(
        "admin:logout",
        get=EVERYONE - ONLY_ADMIN_A,
        post=EVERYONE,
        get_ok=frozenset({302}),
        why="Signing out needs no permission (POST). Django's admin_view sends anyone it does not admit "
        "from /admin/logout/ to the index, which asks them to sign in (302, nothing happens); for a "
        "governance admin a GET is 405.",
    ),
    Route(
        "admin:password_change",
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data={
            "old_password": DEMO_PASSWORD,
            "new_password1": "Matrix-Passwort-2026!",
            "new_password2": "Matrix-Passwort-2026!",
        },
    ),
    Route("admin:password_change_done", get=ONLY_ADMIN_A),
    Route(
        "admin:autocomplete",
        get=ONLY_ADMIN_A,
        query="?app_label=governance&model_name=organisation&field_name=parent&term=Linden",
        why="Suggests only rows of models the person may view, from their own queryset.",
    ),
    Route("admin:jsi18n", get=ONLY_ADMIN_A),
    Route(
        "admin:view_on_site",
        objects=("org_a", "org_b"),
        kwargs=lambda world, label: {
            "content_type_id": __import__("django.contrib.contenttypes.models", fromlist=["ContentType"])
            .ContentType.objects.get_for_model(organisation(world, label))
            .pk,
            "object_id": organisation(world, label).pk,
        },
        get={"org_a": ONLY_ADMIN_A, "org_b": ONLY_ADMIN_A},
        post={"org_a": ONLY_ADMIN_A, "org_b": ONLY_ADMIN_A},
        get_ok=frozenset({302}),
        post_ok=frozenset({302}),
        why="Redirects a governance admin to the object's own page, which checks its own permissions "
        "(B's organisation page answers 404 there).",
    ),
    Route(
        "admin:app_list",
        objects=("governance", "auth", "axes"),
        kwargs=lambda world, label: {"app_label": label},
        get={"governance": ONLY_ADMIN_A, "auth": ONLY_ADMIN_A},
        post={"governance": ONLY_ADMIN_A, "auth": ONLY_ADMIN_A},
        why="An app's page lists the models the person may view (none of axes: 404); it ignores the method.",
    ),
    Route(
        "admin:auth_user_password_change",
        objects=tuple(ADMIN_OBJECTS["auth.user"]),
        kwargs=user_object_id,
        get=dict.fromkeys(ACCOUNTS_OF_A, ONLY_ADMIN_A),
        post=dict.fromkeys(ACCOUNTS_OF_A, ONLY_ADMIN_A),
        data={"usable_password": "true", "password1": "Matrix-Passwort-2026!", "password2": "Matrix-Passwort-2026!"},
        why="Setting someone's password is managing their account: only for accounts the admin manages. B's new "
        "hire has no role anywhere, and still belongs to B (issue 20: the takeover across cities).",
    ),
    *admin_routes(),
]


def group_role_pk(world, label):
    """A mapping of an identity provider's group to a role in the label's organisation."""
    from governance.models import OidcGroupRole

    mapping, _created = OidcGroupRole.objects.get_or_create(
        group=f"matrix-{label}", organisation=organisation(world, label), role="steward"
    )
    return {"pk": mapping.pk}


SSO = [
    Route("oidc_authentication_init", why="Single sign-on is off in the matrix (no OIDC_ISSUER): 404."),
    Route("oidc_authentication_callback", why="Single sign-on is off in the matrix (no OIDC_ISSUER): 404."),
    Route(
        "oidc_backchannel_logout",
        why="POST only, from the provider; 404 while single sign-on is off (governance/tests/test_oidc.py).",
    ),
    Route(
        "governance:oidc_group_roles",
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=lambda world, label: {
            "group": "matrix-neu",
            "organisation": organisation(world, "org_a").pk,
            "role": "owner",
        },
        why="The mappings of groups to roles are kept by the governance admins of the organisation.",
    ),
    Route(
        "governance:oidc_group_role_remove",
        objects=("org_a",),
        kwargs=group_role_pk,
        post=ONLY_ADMIN_A,
        why="POST only; the governance admin of the mapping's organisation removes it.",
    ),
]

ROUTES = routes(*GOVERNANCE, *ETHICS, *ACCOUNT, *ADMIN, *SSO)


def covered_by_admin_site(name: str) -> bool:
    """The admin's unnamed patterns need no cell of their own: `<path:object_id>/` only
    redirects to the change view (behind the same admin_view check the change cells
    exercise) and the final catch-all answers 404 or the login redirect of admin_view."""
    return name.startswith("admin:<unnamed ")
