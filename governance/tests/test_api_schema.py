"""The OpenAPI 3 schema of the whole API is valid and generated without a warning, and
Swagger UI at /api/docs/ works under the strict CSP from our own static files."""

import json

import pytest
from django.core.management import call_command

from conftest import PASSWORD, axe_violations, screenshot
from governance import services


def test_the_schema_validates_without_warnings(tmp_path):
    path = tmp_path / "schema.json"
    # --fail-on-warn turns every warning of drf-spectacular (an unknown field type, a
    # path parameter without a type, an enum name collision …) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(path))
    schema = json.loads(path.read_text())
    assert schema["info"]["title"] == "Stadtdaten API"
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    for path_name in [
        "/api/v1/organisations/{slug}/",
        "/api/v1/decisions/",
        "/api/v1/policy-documents/{document_slug}/versions/{number}/adopt/",
        "/api/v1/policy-documents/{document_slug}/versions/{version_number}/rules/{code}/",
        "/api/v1/rules/{code}/",
    ]:
        assert path_name in schema["paths"]
    # Public reads need no credentials; everything else names the two schemes.
    organisations = schema["paths"]["/api/v1/organisations/{slug}/"]
    assert {} in organisations["get"]["security"]
    assert organisations["patch"]["security"] == [{"apiToken": []}, {"cookieAuth": []}]
    assert {} not in schema["paths"]["/api/v1/decisions/"]["get"]["security"]
    # Requests and responses are separate components: no read-only field in a request body.
    assert "PatchedOrganisationRequest" in schema["components"]["schemas"]
    assert "slug" not in schema["components"]["schemas"]["PatchedOrganisationRequest"]["properties"]


def test_the_schema_is_public(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/organisations/" in response.json()["paths"]


def test_the_docs_page_has_no_inline_script_or_style(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    assert "style=" not in html
    assert html.count("<script") == html.count("<script src=") == 3
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]

    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_without_csp_violations(page):
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Stadtdaten API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag", has_text="organisations").first.wait_for()
    assert page.get_by_role("button", name="Authorize").is_visible()
    screenshot(page, "api-docs")
    assert page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_creates_and_revokes_a_token_in_the_browser(page, steward_a):
    page.goto("/konto/anmelden/?next=/konto/api-zugaenge/")
    page.get_by_label("Benutzername").fill("steward-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/konto/api-zugaenge/")
    assert page.locator("h1").inner_text() == "API-Zugänge"
    assert axe_violations(page) == []

    page.get_by_label("Bezeichnung").fill("Abgleich GovData")
    page.get_by_label("1 Jahr").check()
    screenshot(page, "api-token-formular")
    page.get_by_role("button", name="Token erstellen").click()
    secret = page.get_by_label("Ihr neues Token „Abgleich GovData“").input_value()
    assert secret.startswith("sdt_")
    screenshot(page, "api-token-erstellt")
    assert axe_violations(page) == []
    assert services.authenticate_api_token(secret).user == steward_a

    page.get_by_role("link", name="Zurück zu den API-Zugängen").click()
    assert secret not in page.content()
    page.locator("summary", has_text="Widerrufen").click()
    screenshot(page, "api-token-liste")
    page.get_by_role("button", name="Token widerrufen").click()
    assert "wurde widerrufen" in page.locator(".sd-messages").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "api-token-widerrufen")
    assert page.console_errors == []
