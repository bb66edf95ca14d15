"""The world the authorization matrix runs in: the seeded demo Stadtverbund, a person
per role and an object per state, named the way the matrix talks about them.

Org A is the city of Lindenau with its offices and enterprises (a role there covers
every unit below it), org B the city of Eichberg."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.test import Client

ANONYMOUS = "anonymous"
OUTSIDER = "outsider"  # an account of org A with no role anywhere (what a citizen's account would be)
STEWARD_A = "steward_a"
STEWARD_B = "steward_b"
OWNER_A = "owner_a"
LEGAL_A = "legal_a"
ETHICS_A = "ethics_a"
ADMIN_A = "admin_a"  # governance admin and auditor of org A

ROLES = (ANONYMOUS, OUTSIDER, STEWARD_A, STEWARD_B, OWNER_A, LEGAL_A, ETHICS_A, ADMIN_A)

USERNAMES = {
    OUTSIDER: "buerger.ohne-rolle",
    STEWARD_A: "steward.lindenau",
    STEWARD_B: "steward.eichberg",
    OWNER_A: "owner.lindenau",
    LEGAL_A: "legal.lindenau",
    ETHICS_A: "ethics.lindenau",
    ADMIN_A: "admin.lindenau",
}

# Accounts without a role (just hired) whose home is org A or org B: the objects of the
# account cells, not people the matrix signs in as.
NEW_HIRES = {"newhire_a": ("neueinstellung.lindenau", "lindenau"), "newhire_b": ("neueinstellung.eichberg", "eichberg")}

# Datasets of the demo catalog, one per workflow state (org A unless the label ends in _b).
DATASETS = {
    "draft": "laermkartierung-lindenau",
    "in_review": "kita-standorte-lindenau",
    "ethics_review": "wohngeldbescheide-lindenau",
    "legal_review": "bodenrichtwerte-lindenau",
    "approved": "kundendaten-stadtwerke-lindenau",
    "published": "baumkataster-lindenau",
    "returned": "ratsinformationen-lindenau",
    "withdrawn": "friedhoefe-lindenau",
    "draft_b": "parkhausbelegung-eichberg",
    "published_b": "radwegenetz-eichberg",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> "World":
        from governance import services
        from governance.models import Organisation

        User = get_user_model()
        accounts = {OUTSIDER: (USERNAMES[OUTSIDER], "lindenau"), **NEW_HIRES}
        emails = {OUTSIDER: "buerger@example.org"}
        for label, (username, home) in accounts.items():
            if not User.objects.filter(username=username).exists():
                email = emails.get(label, f"{username}@example.org")
                services.create_account(username, home=Organisation.objects.get(slug=home), by=None, email=email)
        users = {role: User.objects.get(username=name) for role, name in USERNAMES.items()}
        users.update({label: User.objects.get(username=name) for label, (name, _home) in NEW_HIRES.items()})
        world = cls(users=users)
        for role in ROLES:  # log everyone in now, inside the world's transaction
            world.client(role)
        return world

    def user(self, role):
        return self.users.get(role)

    def dataset(self, label):
        from catalog.models import Dataset

        return self.remember(("dataset", label), lambda: Dataset.objects.get(name=DATASETS[label]))

    def remember(self, key, build):
        """Look an object up once per world (the matrix asks for the same ones often)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def client(self, role) -> Client:
        def build():
            client = Client()
            if role != ANONYMOUS:
                client.force_login(self.users[role])
            return client

        return self.remember(("client", role), build)


# ---------------------------------------------------------------------------
# Objects of the staff catalog and of data sharing that the demo does not seed (or not
# for the roles of the matrix). They are made inside the running test, so they go with
# its savepoint: each lookup finds the object again or makes it anew, never a cached
# one that a rollback has removed.

GRANTED_DATASET = "trinkwasserqualitaet-lindenau"  # org A, shared with org B's steward
REQUESTED_DATASET = "ladesaeulen-lindenau"  # org A, org B's steward asks for it
HARVEST_SOURCES = {"harvest_a": "Matrix-Quelle Lindenau", "harvest_b": "Matrix-Quelle Eichberg"}
IMPORTS = {"import_a": (STEWARD_A, "Stadt Lindenau"), "import_b": (STEWARD_B, "Stadt Eichberg")}


def _organisation(name):
    from governance.models import Organisation

    return Organisation.objects.get(name=name)


def _world_inventory_import(self, label):
    from catalog.models import InventoryImport

    role, organisation = IMPORTS[label]
    inventory_import, _created = InventoryImport.objects.get_or_create(
        original_name=f"matrix-{label}.csv",
        defaults={
            "organisation": _organisation(organisation),
            "file": f"imports/matrix-{label}.csv",
            "status": "succeeded",
            "created_by": self.user(role),
        },
    )
    return inventory_import


def _world_harvest_source(self, label):
    from catalog.models import HarvestSource

    organisation = "Stadt Lindenau" if label == "harvest_a" else "Stadt Eichberg"
    source, _created = HarvestSource.objects.get_or_create(
        name=HARVEST_SOURCES[label],
        defaults={
            "url": f"https://ckan.example.org/{label}/",
            "default_organisation": _organisation(organisation),
            "created_by": self.user(ADMIN_A),
            "responsible": self.user(ADMIN_A),
        },
    )
    return source


def _world_harvest_job(self, label):
    from catalog.models import HarvestJob

    source = self.harvest_source(label)
    job = source.jobs.first()
    return job or HarvestJob.objects.create(source=source, status="succeeded", triggered_by=self.user(ADMIN_A))


def _world_access_request(self, label):
    """ "pending_a": org B's steward asks for an org A dataset; "granted_a": the demo's
    granted request of an org A dataset (by a unit steward); "pending_b": the demo's
    pending request of an org B dataset."""
    from catalog.models import Dataset
    from sharing.models import AccessRequest

    if label == "granted_a":
        return AccessRequest.objects.get(dataset__name="kanalnetz-lindenau", status="granted")
    if label == "pending_b":
        return AccessRequest.objects.get(dataset__name="fahrgastrueckmeldungen-eichberg", status="pending")
    return self._ask_as_steward_b(Dataset.objects.get(name=REQUESTED_DATASET))


def _world_ask_as_steward_b(self, dataset):
    from datetime import timedelta

    from django.utils import timezone

    from sharing.models import AccessRequest

    today = timezone.localdate()
    access_request, _created = AccessRequest.objects.get_or_create(
        dataset=dataset,
        requester=self.user(STEWARD_B),
        defaults={
            "recipient": _organisation("Stadt Eichberg"),
            "purpose": "Verkehrsplanung der Nachbarstadt (Matrix).",
            "valid_from": today,
            "valid_until": today + timedelta(days=30),
        },
    )
    return access_request


def _world_shared_grant(self):
    """A grant in force: org A's owner gave org B's steward read access to an org A
    dataset (the grant and the guardian permission that mirrors it, as
    sharing.services.approve_access_request leaves them; made directly because across
    two legal entities the service rightly wants an agreement in force first)."""
    from datetime import timedelta

    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from catalog.models import Dataset
    from sharing.models import AccessGrant

    dataset = Dataset.objects.get(name=GRANTED_DATASET)
    grant = AccessGrant.objects.filter(dataset=dataset, user=self.user(STEWARD_B)).first()
    if grant is None:
        now = timezone.now()
        grant = AccessGrant.objects.create(
            user=self.user(STEWARD_B),
            dataset=dataset,
            recipient=_organisation("Stadt Eichberg"),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30),
            granted_by=self.user(OWNER_A),
        )
        assign_perm("catalog.view_dataset", self.user(STEWARD_B), dataset)
    return grant


# Pending changes of published org A datasets (issue 20), one per state of its review.
PENDING_CHANGES = {
    "change_open": "abfallkalender-lindenau",
    "change_in_review": "strassenverzeichnis-lindenau",
    "change_legal_review": "spielplaetze-lindenau",
}


def _world_pending_change(self, label):
    """A change made through the services, as steward and owner of org A would make it:
    open (a new title), submitted, or signed off with a new link (so legal review follows)."""
    from catalog import changes, services
    from catalog.models import ACTIVE_CHANGE_STATES, Dataset, DatasetChange

    dataset = Dataset.objects.get(name=PENDING_CHANGES[label])
    change = DatasetChange.objects.filter(dataset=dataset, state__in=ACTIVE_CHANGE_STATES).first()
    if change is not None:
        return change
    steward = self.user(STEWARD_A)
    services.update_dataset(
        dataset, by=steward, fields={"title": f"{dataset.title} (Matrix)"},
        expected_version=services.edit_version(dataset),
    )  # fmt: skip
    if label == "change_legal_review":
        services.add_distribution(
            dataset, by=steward, title="Matrix-Dienst", access_url="https://geodienste.lindenau.example/matrix",
            format="WMS_SRVC", kind="service",
        )  # fmt: skip
    change = DatasetChange.objects.get(dataset=dataset, state__in=ACTIVE_CHANGE_STATES)
    if label != "change_open":
        changes.submit_change(change, by=steward, expected_version=change.version)
        change.refresh_from_db()
    if label == "change_legal_review":
        changes.sign_off_change(change, by=self.user(OWNER_A), expected_version=change.version)
        change.refresh_from_db()
    return change


World.pending_change = _world_pending_change
World.inventory_import = _world_inventory_import
World.harvest_source = _world_harvest_source
World.harvest_job = _world_harvest_job
World.access_request = _world_access_request
World._ask_as_steward_b = _world_ask_as_steward_b
World.shared_grant = _world_shared_grant
