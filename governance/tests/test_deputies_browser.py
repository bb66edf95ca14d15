"""A deputy in a real browser: the holder proposes it on the task page, a governance
admin approves it from their inbox on the organisation page; no WCAG 2.1 AA violations
found by axe-core on the pages involved."""

import pytest

from conftest import PASSWORD, axe_violations, make_role_holder, screenshot
from governance.models import Role, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/konto/anmelden/?next=/intern/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/intern/")


def test_the_holder_proposes_a_deputy_and_an_admin_approves_it(page, owner_a, admin_a, org_a, org_a_department):
    colleague = make_role_holder("kollegin", Role.STEWARD, org_a_department, first_name="Karla", last_name="Kollegin")

    sign_in(page, "owner-a")
    page.get_by_role("link", name="Vertretung vorschlagen").click()
    assert page.locator("h1").inner_text() == "Vertretung vorschlagen"
    assert axe_violations(page) == []
    page.get_by_label("Vertretung durch").select_option(label="Karla Kollegin (kollegin)")
    page.get_by_label("Von").fill("2030-07-01T08:00")
    page.get_by_label("Bis").fill("2030-07-21T18:00")
    page.get_by_role("button", name="Vertretung vorschlagen").click()
    page.wait_for_url("**/intern/")
    assert "Ihre Vorschläge" in page.content()
    screenshot(page, "vertretung-vorgeschlagen")
    assert axe_violations(page) == []

    sign_in(page, "admin-a")
    page.get_by_role("link", name="Karla Kollegin vertritt").click()
    assert page.locator("h1").inner_text() == "Stadt A"
    screenshot(page, "vertretung-genehmigen")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Genehmigen").click()
    page.wait_for_load_state()
    assert "Die Vertretung ist genehmigt." in page.content()
    assert RoleAssignment.objects.get(user=colleague, deputy_for__isnull=False).approved_by == admin_a
    assert page.console_errors == []
