"""A small but complete Stadtverbund for the API fuzz tests (config/tests/test_api_fuzz.py):
datasets in several workflow states with distributions and classifications, policy
documents with adopted and draft versions and rules, an ethics review in voting with a
condition, a data use and a data request – built with the apps' services in well under
a second, instead of seed_demo's minute. `path_values` names, for each path of the
OpenAPI schema, identifiers that exist, so the fuzzer reaches the detail endpoints too."""

from dataclasses import dataclass, field
from datetime import date

from catalog.models import Dataset, PersonalDataStatus
from catalog.tabular_validation import check_distribution
from conftest import make_organisation, make_role_holder
from datastore import loader
from ethics import services as ethics
from ethics.models import DataUse, EthicsReview
from ethics.tests.conftest import all_answers, to_ethics_review
from governance import services as governance
from governance.models import Decision, PolicyKind, Role
from governance.reference_data import install_default_rule_set
from governance.tests.conftest import BODY_V1, adopt_and_enact
from portal import services as portal
from portal.tests.conftest import Flow

# Integers a paging parameter must refuse or clamp, never hand to the database: the
# edges of PostgreSQL's bigint, beyond them, and below zero.
HUGE_INTEGERS = [
    str(2**63 - 1), str(2**63), str(2**64), "9" * 40, "-1", str(-(2**63)), str(-(2**63) - 1),
]  # fmt: skip
# The published table, loaded into the store: no count below the disclosure minimum.
TREES = "Baum;Art;Höhe\r\n101;Linde;12,5\r\n102;Eiche;20\r\n103;Ahorn;8\r\n"
# Deeper than any parser should follow (Python's own recursion limit is 1,000).
DEEP = 5_000


def deep_json(opening: str, depth: int = DEEP) -> str:
    """JSON nested `depth` levels: `[[[…]]]` or `{"a":{"a":…1}}`."""
    closing = "]" if opening == "[" else "}"
    middle = "" if opening == "[" else "1"
    return opening * depth + middle + closing * depth


@dataclass
class World:
    people: dict  # role name → user
    tokens: dict = field(default_factory=dict)  # role name → API token secret
    path_values: dict = field(default_factory=dict)  # schema path → [{parameter: value}]
    table_id: str = ""  # the published dataset's CSV, loaded into the store (datastore)

    def known_path_parameters(self, path: str) -> list[dict]:
        return self.path_values.get(path, [])


def build_world() -> World:
    default_rules = install_default_rule_set()
    city = make_organisation("stadt-a", name="Stadt A")
    other_city = make_organisation("stadt-b", name="Stadt B", municipality="Eichberg", state="BW")
    people = {
        "steward": make_role_holder("steward-a", Role.STEWARD, city),
        "owner": make_role_holder("owner-a", Role.OWNER, city),
        "legal": make_role_holder("legal-a", Role.LEGAL_REVIEWER, city),
        "admin": make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, city),
        "board": make_role_holder("ethik-a1", Role.ETHICS_BOARD_MEMBER, city),
        "board2": make_role_holder("ethik-a2", Role.ETHICS_BOARD_MEMBER, city),
        "other_steward": make_role_holder("steward-b", Role.STEWARD, other_city),
    }
    flow = Flow(people["steward"], people["owner"], people["legal"])
    datasets = [
        flow.publish(flow.create(city, "baumkataster", title="Baumkataster", keywords=["Bäume", "Umwelt"], csv=TREES)),
        flow.create(city, "laermkarte", title="Lärmkarte"),
        flow.to_legal_review(flow.create(city, "parkplaetze", title="Parkplätze")),
        flow.refuse(flow.create(city, "leitungsnetz", title="Leitungsnetz")),
        Flow(people["other_steward"], None, None).create(other_city, "parkhaeuser", title="Parkhausbelegung"),
    ]
    flagged = to_ethics_review(
        flow.create(city, "wohngeld", title="Wohngeldbescheide", csv=None), people["steward"], people["owner"]
    )
    datasets.append(flagged)

    review = EthicsReview.objects.get(dataset=flagged)
    ethics.answer(review, by=people["steward"], answers=all_answers(review), submit=True)
    condition = ethics.add_condition(
        review, by=people["board"], text="Nur Stadtteile.", owner=people["steward"], due_on=date(2099, 1, 1)
    )
    data_use = DataUse(
        title="Verkehrsfluss-Analyse", purpose="Ampeln verbessern.", organisation=city, applicant=people["steward"]
    )
    data_use.save()
    data_use.datasets.add(datasets[0])
    data_request = portal.create_data_request(title="Baumfällungen", description="Wo und warum?", email="a@b.example")

    strategy = governance.create_document(
        by=people["admin"], kind=PolicyKind.DATA_STRATEGY, title="Datenstrategie", slug="datenstrategie", issuer=city
    )
    first = governance.create_draft(strategy, by=people["admin"], title="Datenstrategie 2024", body=BODY_V1)
    section = first.sections.order_by("position").last()
    governance.save_rule_version(
        first,
        by=people["admin"],
        code="R-PERSONEN",
        fields={
            "section": section,
            "title": "Personenbezug",
            "condition": {"field": "personal_data", "op": ">=", "value": PersonalDataStatus.PERSONAL},
            "effect": "block",
            "ground": "PERSONAL_DATA",
            "alternative": "aggregated",
            "rereview_months": 24,
        },
    )
    adopt_and_enact(first, by=people["admin"], adopted_on=date(2023, 12, 1), valid_from=date(2024, 1, 1))
    draft = governance.create_draft(strategy, by=people["admin"], title="Datenstrategie 2026", body=BODY_V1)

    published = datasets[0]
    distribution = published.distributions.first()
    # The worker checks the published table and loads it into the store after a commit.
    check_distribution(distribution.pk)
    loader.load(distribution)
    rule_codes = list(default_rules.versions.get().rule_versions.values_list("rule__code", flat=True)[:3])
    documents = [
        {"document_slug": strategy.slug, "number": 1, "version_number": 1, "code": "R-PERSONEN"},
        {"document_slug": strategy.slug, "number": draft.number, "version_number": draft.number, "code": "R-PERSONEN"},
        *({"document_slug": default_rules.slug, "number": 1, "version_number": 1, "code": c} for c in rule_codes),
    ]
    decisions = list(Decision.objects.values_list("pk", flat=True)[:5])
    names = [{"name": d.name, "dataset_name": d.name} for d in Dataset.objects.all()]
    v1 = "/api/v1"

    def only(rows, *keys):
        return [{key: row[key] for key in keys} for row in rows]

    path_values = {
        f"{v1}/data-requests/{{id}}/": [{"id": data_request.pk}],
        f"{v1}/data-requests/{{id}}/triage/": [{"id": data_request.pk}],
        f"{v1}/data-uses/{{id}}/": [{"id": data_use.pk}],
        f"{v1}/data-uses/{{id}}/open-review/": [{"id": data_use.pk}],
        f"{v1}/datasets/{{name}}/": only(names, "name"),
        f"{v1}/datasets/{{name}}/decisions/": only(names, "name"),
        f"{v1}/datasets/{{name}}/transitions/": only(names, "name"),
        f"{v1}/datasets/{{dataset_name}}/classifications/": only(names, "dataset_name"),
        f"{v1}/datasets/{{dataset_name}}/classifications/{{number}}/": [
            {"dataset_name": row["name"], "number": 1} for row in names
        ],
        f"{v1}/datasets/{{dataset_name}}/distributions/": only(names, "dataset_name"),
        f"{v1}/datasets/{{dataset_name}}/distributions/{{identifier}}/": [
            {"dataset_name": published.name, "identifier": str(distribution.identifier)}
        ],
        f"{v1}/decisions/{{id}}/": [{"id": pk} for pk in decisions],
        f"{v1}/ethics-reviews/{{id}}/": [{"id": review.pk}],
        f"{v1}/organisations/{{slug}}/": [{"slug": city.slug}, {"slug": other_city.slug}],
        f"{v1}/policy-documents/{{slug}}/": [{"slug": strategy.slug}, {"slug": default_rules.slug}],
        f"{v1}/policy-documents/{{document_slug}}/versions/": only(documents, "document_slug"),
        f"{v1}/rules/{{code}}/": [{"code": "R-PERSONEN"}, *({"code": code} for code in rule_codes)],
    }
    for step in ("answers", "close", "conditions", "votes"):
        path_values[f"{v1}/ethics-reviews/{{id}}/{step}/"] = [{"id": review.pk}]
    path_values[f"{v1}/ethics-reviews/{{id}}/conditions/{{condition_id}}/complete/"] = [
        {"id": review.pk, "condition_id": condition.pk}
    ]
    for suffix in ("", "adopt/", "put-in-force/", "repeal/"):
        path_values[f"{v1}/policy-documents/{{document_slug}}/versions/{{number}}/{suffix}"] = only(
            documents, "document_slug", "number"
        )
    path_values[f"{v1}/policy-documents/{{document_slug}}/versions/{{version_number}}/rules/"] = only(
        documents, "document_slug", "version_number"
    )
    path_values[f"{v1}/policy-documents/{{document_slug}}/versions/{{version_number}}/rules/{{code}}/"] = only(
        documents, "document_slug", "version_number", "code"
    )
    for suffix in ("", "rows/", "groups/"):
        path_values[f"{v1}/tables/{{resource_id}}/{suffix}"] = [{"resource_id": str(distribution.identifier)}]
    return World(people=people, path_values=path_values, table_id=str(distribution.identifier))
