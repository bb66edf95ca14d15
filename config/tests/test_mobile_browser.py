"""The header and the portal search on a phone (390 px wide, issue 22): the navigation
folds behind a "Menü" disclosure button instead of wrapping over five lines, and a
"Filter" link at the top of the results leads to the facets below them. Both work
without JavaScript: the navigation stays open and the link is an anchor."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    def open_page(*, javascript=True, viewport=PHONE):
        context = browser.new_context(
            base_url=live_server.url, locale="de-DE", viewport=viewport, java_script_enabled=javascript
        )
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        contexts.append(context)
        return page

    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def test_the_menu_button_folds_the_navigation_away_on_a_phone(phone):
    page = phone()
    page.goto("/")
    menu = page.get_by_role("button", name="Menü")
    search_link = page.get_by_role("navigation", name="Portalnavigation").get_by_role("link", name="Daten suchen")

    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert menu.get_attribute("aria-controls").split()[0] == "sd-navigation"
    expect(search_link).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(search_link).to_be_visible()
    assert axe_violations(page) == []

    search_link.focus()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(search_link).to_be_hidden()

    page.keyboard.press("Enter")  # the focused button, by keyboard
    expect(search_link).to_be_visible()
    assert page.console_errors == []


def test_without_javascript_the_navigation_stays_open(phone):
    page = phone(javascript=False)
    page.goto("/")

    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    expect(page.get_by_role("link", name="Daten suchen").first).to_be_visible()


def test_a_wide_screen_shows_the_navigation_and_no_menu_button(phone):
    page = phone(viewport={"width": 1280, "height": 900})
    page.goto("/")

    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    expect(page.get_by_role("link", name="Daten suchen").first).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_filter_link_leads_from_the_top_of_the_results_to_the_facets(phone, javascript):
    page = phone(javascript=javascript)
    page.goto("/suche/")
    link = page.get_by_role("link", name="Filter", exact=True)
    results = page.get_by_role("heading", name="gefunden")

    expect(link).to_be_visible()
    assert link.bounding_box()["y"] < results.bounding_box()["y"], "the link comes before the results"
    facets = page.get_by_role("heading", name="Ergebnisse eingrenzen")
    assert facets.bounding_box()["y"] > results.bounding_box()["y"], "on a phone the facets follow the results"

    link.click()

    assert page.url.endswith("#filter")
    expect(facets).to_be_in_viewport()
    # The jump to the anchor may scroll smoothly: wait for it, bounded, rather than read at once
    # (wait_for_function would poll through eval, which the CSP forbids).
    for _attempt in range(50):
        if page.evaluate("window.scrollY") > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.scrollY") > 0


def test_the_filter_link_is_not_shown_on_a_wide_screen(phone):
    page = phone(viewport={"width": 1280, "height": 900})
    page.goto("/suche/")

    expect(page.get_by_role("link", name="Filter", exact=True)).to_be_hidden()


def test_the_account_links_fold_into_the_menu_on_a_phone(phone, steward_a):
    """Signed in, the name, "Passwort ändern", "API-Zugänge" and "Abmelden" took four lines
    above every staff page on a phone; they open with the menu now."""
    page = phone()
    page.goto("/konto/anmelden/?next=/intern/")
    page.get_by_label("Benutzername").fill("steward-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/intern/")
    menu = page.get_by_role("button", name="Menü")
    logout = page.get_by_role("button", name="Abmelden")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(logout).to_be_hidden()
    menu.click()
    expect(logout).to_be_visible()
    expect(page.get_by_role("link", name="Datensätze")).to_be_visible()
    assert axe_violations(page) == []
