"""The DCAT-AP.de output of the demo catalog (`manage.py seed_demo`) against the official
SHACL shapes in ../shared/dcat-ap: DCAT-AP 3.0.0 with DCAT-AP.de 3.0, the HVD shapes for
the high-value datasets, and GovData's DCAT-AP.de 2.0 conventions.

The shapes are not part of the project. Without them (neither ../shared/dcat-ap nor the
folder named by DCAT_AP_SHAPES_DIR) these tests are skipped.

How we validate offline, as ../shared/dcat-ap/README.md describes: owl:imports are not
followed; GovData's licence and contributor lists (what the imports would load for
dct:license and dcatde:contributorID) are added to the data, because pyshacl's
ontology graph only carries RDFS/OWL axioms, not SKOS concepts. The EU authority tables
are not available; our output says for each concept it uses which scheme it is in.
"""

import io
import os
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from rdflib import RDF, Graph, Namespace, URIRef

from catalog.models import Dataset

SHAPES = Path(os.environ.get("DCAT_AP_SHAPES_DIR") or settings.BASE_DIR.parent / "shared" / "dcat-ap")
pytestmark = pytest.mark.skipif(
    not (SHAPES / "dcat-ap-3.0.0").is_dir(),
    reason=f"The DCAT-AP SHACL shapes are not in {SHAPES} (../shared/dcat-ap, or set DCAT_AP_SHAPES_DIR).",
)

SITE = "http://127.0.0.1:8000"
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def shapes(*patterns: str) -> Graph:
    graph = Graph()
    for pattern in patterns:
        files = sorted(SHAPES.glob(pattern))
        assert files, pattern
        for path in files:
            graph.parse(path)
    return graph


@cache
def dcat_ap_de_3() -> Graph:
    """As GovData's validator combines them for "DCAT-AP.de 3.0 Spezifikation"."""
    return shapes("dcat-ap-3.0.0/dcat-ap-SHACL.ttl", "dcat-ap.de-3.0/*.ttl")


@cache
def hvd() -> Graph:
    return shapes("dcat-ap-hvd/hvd-SHACL.ttl")


@cache
def dcat_ap_de_2_conventions() -> Graph:
    """As GovData's validator combines them for "DCAT-AP.de 2.0 Spezifikation & Konventionen"."""
    folder = "dcat-ap.de-2.0/"
    names = ("dcat-ap_2.1.1_shacl_shapes", "dcat-ap-spec-german-messages", "dcat-ap-spec-german-additions",
             "dcat-ap-de-deprecated", "dcat-ap-konventionen")  # fmt: skip
    return shapes(*(f"{folder}{name}.ttl" for name in names))


@cache
def govdata_lists() -> Graph:
    return shapes("govdata-lists/*.rdf")


@cache
def dcat_ap_3_plain() -> Graph:
    """The plain DCAT-AP 3.0.0 shapes, as a validator without the German profile uses them."""
    return shapes("dcat-ap-3.0.0/dcat-ap-SHACL.ttl")


def validate(
    document: bytes | Graph, shape_graph: Graph, *, inference: str = "none", vocabularies: bool = True
) -> tuple[list, list]:
    """(violations, warnings) as readable lines; with GovData's lists of the EU vocabularies
    beside the document, as GovData's validator loads them, unless `vocabularies` is False."""
    data = document if isinstance(document, Graph) else Graph().parse(data=document, format="turtle")
    if vocabularies:
        data = data + govdata_lists()
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shape_graph, inference=inference, advanced=True, allow_warnings=True
    )
    found = {SH.Violation: [], SH.Warning: []}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        line = f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
        found.setdefault(severity, []).append(line + str(report.value(result, SH.resultMessage)))
    return sorted(found[SH.Violation]), sorted(found[SH.Warning])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo catalog's documents, rendered once for the module; the demo is rolled
    back afterwards."""
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, SITE_URL=SITE),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=io.StringIO())
        client = Client()
        published = Dataset.objects.published()
        high_value = list(published.exclude(hvd_category="").order_by("name").values_list("name", flat=True))
        documents = {
            "published": published.count(),
            "catalog": client.get("/catalog.ttl").content,
            "export": b"".join(client.get("/catalog/all.nt").streaming_content),
            "high_value": {name: client.get(f"/dataset/{name}.ttl").content for name in high_value},
        }
        transaction.set_rollback(True)
    return documents


def test_the_demo_publishes_datasets_high_value_ones_among_them(demo):
    catalog = Graph().parse(data=demo["catalog"], format="turtle")
    listed = set(catalog.objects(URIRef(f"{SITE}/catalog"), DCAT.dataset))
    assert 0 < demo["published"] <= 100  # so the first page holds the whole catalog
    assert len(listed) == demo["published"]
    assert int(next(catalog.objects(None, HYDRA.totalItems))) == demo["published"]
    assert demo["high_value"], "The demo needs a published high-value dataset (demo/catalog.py)."


def test_the_demo_catalog_conforms_to_dcat_ap_de_3(demo):
    violations, warnings = validate(demo["catalog"], dcat_ap_de_3())
    assert violations == []
    # Allowed: "SOLL ... Vokabular" warnings, e.g. a contributor ID that is not (yet) on GovData's list.
    assert [warning for warning in warnings if "Vokabular" not in warning] == []


def test_the_demo_catalog_conforms_to_plain_dcat_ap_3_without_the_vocabularies(demo):
    """Issue 23: a validator that knows neither the German profile nor the EU vocabularies
    reads every concept the catalog names with its label, and every scheme with its title."""
    # RDFS inference as for the HVD shapes below (sh:class rdfs:Resource on addresses).
    violations, _warnings = validate(demo["catalog"], dcat_ap_3_plain(), inference="rdfs", vocabularies=False)
    assert violations == []
    export = Graph().parse(data=demo["export"], format="nt")
    violations, _warnings = validate(export, dcat_ap_3_plain(), inference="rdfs", vocabularies=False)
    assert violations == []


def test_the_full_export_of_the_demo_conforms_to_dcat_ap_de_3(demo):
    export = Graph().parse(data=demo["export"], format="nt")
    assert len(set(export.subjects(RDF.type, DCAT.Dataset))) == demo["published"]
    violations, warnings = validate(export, dcat_ap_de_3())
    assert violations == []
    assert [warning for warning in warnings if "Vokabular" not in warning] == []


def test_the_high_value_datasets_of_the_demo_conform_to_the_hvd_shapes(demo):
    graph = Graph()
    for document in demo["high_value"].values():
        graph.parse(data=document, format="turtle")
    assert set(graph.objects(None, DCATAP.hvdCategory))
    # The HVD 3.0.0 shapes ask for sh:class rdfs:Resource on URLs (access URL, e-mail, endpoint),
    # which holds for every IRI under RDFS semantics (SEMICeu/DCAT-AP#412, fixed in 3.0.1):
    # hence RDFS inference for these shapes.
    violations, _warnings = validate(graph, hvd(), inference="rdfs")
    assert violations == []
    violations, _warnings = validate(graph, dcat_ap_de_3())
    assert violations == []


def test_the_shapes_catch_a_dataset_without_publisher_or_licence_or_hvd_category(demo):
    name, document = next(iter(demo["high_value"].items()))
    graph = Graph().parse(data=document, format="turtle")
    dataset = URIRef(f"{SITE}/dataset/{name}")
    graph.remove((dataset, DCT.publisher, None))
    distribution = next(graph.objects(dataset, DCAT.distribution))
    graph.remove((distribution, DCT.license, None))
    violations, _warnings = validate(graph, dcat_ap_de_3())
    assert any(str(DCT.publisher) in line and line.startswith(str(dataset)) for line in violations)
    assert any(str(DCT.license) in line and line.startswith(str(distribution)) for line in violations)
    graph.remove((dataset, DCATAP.hvdCategory, None))
    violations, _warnings = validate(graph, hvd(), inference="rdfs")
    assert any(str(DCATAP.hvdCategory) in line for line in violations)


@pytest.mark.django_db
def test_govdata_conventions_2_0_hold_except_where_dcat_ap_de_3_differs(client, settings, published, org_a):
    """GovData still checks deliveries against DCAT-AP.de 2.0 and its conventions (K01,
    K12/13, K31, K32, K36 …). With a contributor ID from GovData's list they all hold;
    what remains are two rules 3.0 changed: dcat:byteSize is xsd:nonNegativeInteger in
    3.0 (xsd:decimal in 2.0), checksum algorithms come from SPDX in 3.0 (a DCAT-AP.de
    list in 2.0)."""
    settings.SITE_URL = SITE
    org_a.contributor_id = "http://dcat-ap.de/def/contributors/stadtOldenburg"
    org_a.save()
    violations, _warnings = validate(client.get("/catalog.ttl").content, dcat_ap_de_2_conventions())
    assert violations
    differences = ("dcat:byteSize MUSS ein als xsd:decimal", "spdx:algorithm MUSS eine IRI aus diesem Vokabular")
    assert [line for line in violations if not any(text in line for text in differences)] == []
    violations, warnings = validate(client.get("/catalog.ttl").content, dcat_ap_de_3())
    assert (violations, warnings) == ([], [])
