"""Change control after approval (issue 20): what the public sees of an approved or
published dataset is its last approved state, byte for byte, until a change to it has
passed the review the rules require; a file whose disclosure check finds small cells
leaves every public output at once."""

import json

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services
from catalog.models import Dataset, Distribution
from catalog.tabular_validation import check_distribution

PERSONAL_CSV = (
    b"Name;Anschrift;Geburtsdatum\nErika Mustermann;Lindenweg 3;1964-08-12\nMax Muster;Am Markt 1;1981-02-03\n"
)

SMALL_CELLS_CSV = ("Stadtteil;Anzahl\nNord;1\nSüd;2\nOst;250\nWest;310\n").encode()
CLEAN_CSV = ("Stadtteil;Anzahl\nNord;120\nSüd;240\nOst;250\nWest;310\n").encode()


def csv_upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def fresh(dataset):
    return Dataset.objects.get(pk=dataset.pk)


def public_view(client, dataset) -> dict:
    """Everything an anonymous person gets about a dataset: page, CKAN, DCAT."""
    page = client.get(reverse("portal:dataset_detail", args=[dataset.name]))
    ckan = client.get("/api/3/action/package_show", {"id": dataset.name})
    dcat = client.get(reverse("portal:dataset_dcat", args=[dataset.name, "ttl"]))
    return {
        "page": page.content.decode() if page.status_code == 200 else "",
        "ckan": ckan.json()["result"] if ckan.status_code == 200 else {},
        "dcat": dcat.content.decode() if dcat.status_code == 200 else "",
    }


def download_status(client, dataset, distribution) -> int:
    response = client.get(reverse("portal:download", args=[dataset.name, distribution.identifier]))
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end: the test client closes the file then
    return response.status_code


def test_a_personal_data_file_added_to_a_published_dataset_is_not_public(published, flow_a, client):
    distribution = services.add_distribution(
        published, by=flow_a.steward, title="Anwohnerliste", upload=csv_upload("anwohner.csv", PERSONAL_CSV)
    )

    assert download_status(client, published, distribution) == 404
    seen = public_view(client, published)
    assert "Anwohnerliste" not in seen["page"]
    assert [r["name"] for r in seen["ckan"]["resources"]] == ["baumkataster (CSV)"]
    assert "Anwohnerliste" not in seen["dcat"]
    assert "Erika" not in json.dumps(seen["ckan"])


def test_an_edit_and_a_file_after_legal_approval_are_not_published_with_the_dataset(flow_a, org_a, client):
    dataset = flow_a.approve(flow_a.create(org_a, "kfz-statistik", title="Kfz-Bestand"))
    approved_description = dataset.description
    services.update_dataset(
        dataset,
        by=flow_a.steward,
        fields={"description": "Mit Kennzeichen aller Halter."},
        expected_version=dataset.version,
    )
    services.add_distribution(
        fresh(dataset), by=flow_a.steward, title="Kennzeichen", upload=csv_upload("kennzeichen.csv", PERSONAL_CSV)
    )
    flow_a.step("publish", dataset, flow_a.steward, confirm_alternative=True)

    seen = public_view(client, dataset)
    assert approved_description in seen["page"]
    assert "Mit Kennzeichen" not in seen["page"] + seen["dcat"] + json.dumps(seen["ckan"])
    assert [r["name"] for r in seen["ckan"]["resources"] if "Kennzeichen" in r["name"]] == []
    assert "Kennzeichen" not in seen["dcat"]


def test_a_small_cells_finding_on_a_public_file_withdraws_it_at_once(
    flow_a, org_a, client, django_capture_on_commit_callbacks
):
    dataset = flow_a.create(org_a, "einwohner-kleinraeumig", title="Einwohner kleinräumig", csv=None)
    distribution = services.add_distribution(
        dataset, by=flow_a.steward, title="Einwohner je Block", upload=csv_upload("bloecke.csv", SMALL_CELLS_CSV)
    )
    dataset = flow_a.publish(dataset)
    assert download_status(client, dataset, distribution) == 200
    for person, address in ((flow_a.owner, "owner@stadt-a.example"), (flow_a.legal, "legal@stadt-a.example")):
        person.email = address
        person.save(update_fields=["email"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        check_distribution(distribution.pk)  # the check runs after publication (the worker was late)

    assert download_status(client, dataset, distribution) == 404
    seen = public_view(client, dataset)
    assert "Einwohner je Block" not in seen["page"] + seen["dcat"]
    assert seen["ckan"]["resources"] == []
    assert Distribution.objects.get(pk=distribution.pk).status == "blocked"
    assert fresh(dataset).rereview_requested_at is not None
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"owner@stadt-a.example", "legal@stadt-a.example"} <= recipients
