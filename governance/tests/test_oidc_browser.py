"""Single sign-on in a real browser: the login page's button leads to the provider's own
login page (governance/tests/oidc, a real OpenID Connect provider on a loopback port), and
back into the internal area, signed in; "Abmelden" ends the session at the provider too.
No WCAG 2.1 AA violations found by axe-core on our login page with SSO on."""

import pytest

from conftest import axe_violations, make_organisation, screenshot
from governance.models import OidcGroupRole, OidcIdentity, Role
from governance.tests import oidc
from governance.tests.oidc import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

oidc_provider = oidc.oidc_provider
sso = oidc.sso


def test_a_person_signs_in_through_the_providers_page_and_out_again(page, sso):
    stadt = make_organisation("stadt-a", name="Stadt A")
    OidcGroupRole.objects.create(group="datenpflege", organisation=stadt, role=Role.STEWARD)
    sso.configure(
        people={
            "erika": {
                "sub": "sub-erika-0001",
                "name": "Erika Mustermann",
                "email": "erika@stadt-a.example",
                "organisation": "stadt-a",
                "groups": ["datenpflege"],
            }
        }
    )

    page.goto("/konto/anmelden/?next=/intern/")
    assert axe_violations(page) == []
    screenshot(page, "anmelden-mit-dienstkonto")
    page.get_by_role("link", name="Mit dem Dienstkonto anmelden").click()

    page.wait_for_url(f"{sso.issuer}/interaction/**")
    assert page.locator("h1").inner_text() == "Anmeldung beim Identitätsanbieter der Stadt"
    page.get_by_label("Kennung").fill("erika")
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()

    page.wait_for_url(f"{sso.rp}/intern/")
    assert "Erika Mustermann" in page.content()
    user = OidcIdentity.objects.get(subject="sub-erika-0001").user
    assert user.role_assignments.filter(role=Role.STEWARD, organisation=stadt, revoked_at__isnull=True).exists()
    assert page.console_errors == []

    page.get_by_role("button", name="Abmelden").first.click()
    page.wait_for_url(f"{sso.issuer}/session/end**")
    page.get_by_role("button", name="Ja, abmelden").click()
    page.wait_for_url(f"{sso.rp}/")
    page.goto("/intern/")
    page.wait_for_url("**/konto/anmelden/**")
