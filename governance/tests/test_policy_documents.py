"""A new policy document and its first draft are one write: the UI and the API create
both or neither, through the one service."""

from django.core.exceptions import ValidationError

from governance import services
from governance.models import PolicyDocument, PolicyKind


def _refuse_the_draft(*args, **kwargs):
    raise ValidationError("Der Entwurf konnte nicht angelegt werden.")


def test_a_document_whose_first_draft_fails_is_not_left_behind(client_for, admin_a, monkeypatch):
    monkeypatch.setattr(services, "create_draft", _refuse_the_draft)
    response = client_for(admin_a).post(
        "/intern/richtlinien/neu/",
        {"title": "Dienstanweisung Daten", "slug": "da-daten", "kind": PolicyKind.SERVICE_INSTRUCTION},
    )

    assert response.status_code == 200
    assert "Der Entwurf konnte nicht angelegt werden." in response.content.decode()
    assert not PolicyDocument.objects.filter(slug="da-daten").exists()


def test_a_new_document_starts_with_its_first_draft(client_for, admin_a):
    response = client_for(admin_a).post(
        "/intern/richtlinien/neu/",
        {"title": "Dienstanweisung Daten", "slug": "da-daten", "kind": PolicyKind.SERVICE_INSTRUCTION},
    )

    assert response.status_code == 302
    document = PolicyDocument.objects.get(slug="da-daten")
    assert [(v.number, v.title, v.is_draft) for v in document.versions.all()] == [(1, "Dienstanweisung Daten", True)]
