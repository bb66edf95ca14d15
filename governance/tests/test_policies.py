"""Policy documents keep immutable adopted versions, answer what was in force on a day,
and show readable differences between versions."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from governance import services
from governance.models import ImmutableError, PolicyStatus, PolicyVersion, RuleVersion
from governance.policytext import diff_lines, parse_sections, render_markdown

from .conftest import BODY_V1


def test_sections_come_from_numbered_headings_and_paragraphs():
    sections = parse_sections(BODY_V1 + "\n## Anlage\n\nohne Nummer\n\n## 2.1 Ziele\n\nText\n")
    assert [s.number for s in sections] == ["§ 1", "§ 1 Abs. 1", "§ 1 Abs. 2", "§ 2", "§ 2 Abs. 1", "2.1"]
    assert sections[0].heading == "Grundsatz"
    assert sections[2].text == "(2) Ausnahmen regelt § 2."
    with pytest.raises(ValidationError, match="kommt zweimal vor"):
        parse_sections("## § 1 A\n\n## § 1 B\n")


def test_markdown_is_rendered_safely():
    html = render_markdown('# Titel\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b onclick="x">fett</b>')
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<h2>Titel</h2>" in html  # the page's own h1 is the version title


def test_as_of_boundaries(strategy):
    v1, v2 = strategy.versions.get(number=1), strategy.versions.get(number=2)
    assert v1.status == PolicyStatus.SUPERSEDED
    assert v1.valid_until == date(2025, 7, 1) == v2.valid_from

    def in_force_on(day):
        return [version.number for version in services.in_force(day).policy_versions]

    assert in_force_on(date(2023, 12, 31)) == []
    assert in_force_on(date(2024, 1, 1)) == [1]  # the day it enters force counts
    assert in_force_on(date(2025, 6, 30)) == [1]
    assert in_force_on(date(2025, 7, 1)) == [2]  # the day it leaves force does not
    assert strategy.version_in_force(date(2025, 6, 30)) == v1

    rules_then = services.in_force(date(2025, 6, 30)).rule_versions
    rules_now = services.in_force(date(2025, 7, 1)).rule_versions
    assert [(rv.code, rv.policy_version_id) for rv in rules_then] == [("R-PERSONEN", v1.pk)]
    assert [(rv.code, rv.policy_version_id) for rv in rules_now] == [("R-PERSONEN", v2.pk)]
    assert [rv.number for rv in rules_now] == [2]

    services.repeal_version(v2, by=None, on=date(2026, 1, 1), reason="Neuordnung")
    assert in_force_on(date(2025, 12, 31)) == [2]
    assert in_force_on(date(2026, 1, 1)) == []


def test_a_version_cannot_enter_force_before_a_later_one_already_did(strategy, admin_a):
    v3 = services.create_draft(strategy, by=admin_a)
    services.adopt_version(v3, by=admin_a, adopted_by="Gemeinderat", adopted_on=date(2025, 6, 2))
    with pytest.raises(ValidationError, match="Fassung 2 gilt bereits ab"):
        services.put_in_force(v3, by=admin_a, valid_from=date(2025, 6, 15))


def test_an_adopted_version_never_changes_in_the_orm(strategy):
    version = strategy.versions.get(number=2)
    version.body = "Überschrieben"
    with pytest.raises(ImmutableError):
        version.save()
    with pytest.raises(ImmutableError):
        PolicyVersion.objects.get(pk=version.pk).delete()
    section = version.sections.first()
    section.text = "anders"
    with pytest.raises(ImmutableError):
        section.save()
    rule_version = version.rule_versions.select_related("policy_version").first()
    rule_version.condition = {"field": "vs_nfd", "op": "is_true"}
    with pytest.raises(ImmutableError):
        rule_version.save()
    with pytest.raises(services.GovernanceError):
        services.update_draft(version, by=None, title="x", body="y")
    with pytest.raises(services.GovernanceError):
        services.save_rule_version(version, by=None, code="R-NEU", fields={})


def test_the_database_refuses_to_change_an_adopted_version(strategy):
    version = strategy.versions.get(number=2)
    rule_version = RuleVersion.objects.filter(policy_version=version).first()
    statements = [
        ("UPDATE governance_policyversion SET body = 'x' WHERE id = %s", version.pk),
        ("UPDATE governance_policyversion SET status = 'draft' WHERE id = %s", version.pk),
        ("DELETE FROM governance_policyversion WHERE id = %s", version.pk),
        ("UPDATE governance_policysection SET text = 'x' WHERE policy_version_id = %s", version.pk),
        ("UPDATE governance_ruleversion SET condition = '{}' WHERE id = %s", rule_version.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError, match="cannot change"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [pk])


def test_an_amendment_starts_as_a_copy_with_its_rules(strategy, admin_a):
    draft = services.create_draft(strategy, by=admin_a, change_note="Änderung")
    assert draft.number == 3
    assert draft.based_on.number == 2
    assert draft.body == strategy.versions.get(number=2).body
    assert [rv.code for rv in draft.rule_versions.select_related("rule")] == ["R-PERSONEN"]
    with pytest.raises(services.GovernanceError, match="bereits einen Entwurf"):
        services.create_draft(strategy, by=admin_a)


def test_a_cited_section_cannot_disappear_from_a_draft(strategy, admin_a):
    draft = services.create_draft(strategy, by=admin_a)
    with pytest.raises(ValidationError, match=r"„§ 2 Abs\. 1“ wird von Regel R-PERSONEN zitiert"):
        services.update_draft(draft, by=admin_a, title=draft.title, body="## § 1 Nur noch das\n")


def test_the_diff_marks_changed_words_and_new_lines():
    rows = diff_lines("a\n(1) Daten sind offen.\nb", "a\n(1) Daten sind immer offen.\nb\nc")
    change = next(row for row in rows if row.kind == "change")
    assert (True, "immer ") in change.new or any(changed and "immer" in text for changed, text in change.new)
    assert [row.kind for row in rows][-1] == "insert"


# ---- UI ---------------------------------------------------------------------


def test_everyone_in_the_internal_area_reads_policies_but_only_admins_change_them(
    client_for, steward_a, admin_a, strategy
):
    steward = client_for(steward_a)
    assert steward.get("/intern/richtlinien/").status_code == 200
    assert steward.get(f"/intern/richtlinien/{strategy.slug}/fassungen/2/").status_code == 200
    assert steward.get("/intern/richtlinien/neu/").status_code == 403
    assert steward.post(f"/intern/richtlinien/{strategy.slug}/entwurf/").status_code == 403
    assert strategy.versions.count() == 2


def test_an_adopted_version_cannot_be_edited_in_the_ui_or_the_admin(client_for, admin_a, strategy):
    client = client_for(admin_a)
    version = strategy.versions.get(number=2)
    base = f"/intern/richtlinien/{strategy.slug}/fassungen/2"
    assert client.get(f"{base}/bearbeiten/").status_code == 403
    assert client.post(f"{base}/bearbeiten/", {"title": "x", "body": "y"}).status_code == 403
    assert client.post(f"{base}/regeln/R-PERSONEN/", {"title": "x"}).status_code == 403
    assert client.post(f"{base}/regeln/R-PERSONEN/entfernen/").status_code == 403
    assert client.post(f"{base}/verwerfen/").status_code == 403
    assert client.get(f"/admin/governance/policyversion/{version.pk}/change/").status_code == 200
    assert client.post(f"/admin/governance/policyversion/{version.pk}/change/", {"title": "x"}).status_code == 403
    assert client.post(f"/admin/governance/policyversion/{version.pk}/delete/").status_code == 403
    version.refresh_from_db()
    assert (version.title, version.status) == ("Datenstrategie 2025", PolicyStatus.IN_FORCE)


def test_a_governance_admin_drafts_adopts_and_enacts_a_version(client_for, admin_a, strategy):
    client = client_for(admin_a)
    assert client.post(f"/intern/richtlinien/{strategy.slug}/entwurf/").status_code == 302
    base = f"/intern/richtlinien/{strategy.slug}/fassungen/3"
    body = strategy.versions.get(number=2).body + "\n## § 4 Neu\n\n(1) Neuer Absatz.\n"
    response = client.post(f"{base}/bearbeiten/", {"title": "Datenstrategie 2026", "change_note": "§ 4", "body": body})
    assert response.status_code == 302
    assert (
        client.post(f"{base}/beschliessen/", {"adopted_by": "Gemeinderat", "adopted_on": "2025-06-20"}).status_code
        == 302
    )
    response = client.post(f"{base}/inkraftsetzen/", {"valid_from": "2025-07-01"})
    assert response.status_code == 200  # version 2 already starts that day
    assert "Fassung 2 gilt bereits ab" in response.content.decode()
    assert client.post(f"{base}/inkraftsetzen/", {"valid_from": "2026-01-01"}).status_code == 302
    v2, v3 = strategy.versions.get(number=2), strategy.versions.get(number=3)
    assert (v2.status, v2.valid_until) == (PolicyStatus.SUPERSEDED, date(2026, 1, 1))
    assert (v3.status, v3.valid_from, v3.sections.filter(number="§ 4 Abs. 1").exists()) == (
        PolicyStatus.IN_FORCE,
        date(2026, 1, 1),
        True,
    )
    assert [h.history_change_reason for h in v3.history.order_by("history_id")][-2:] == [
        "governance.policy.adopted",
        "governance.policy.in_force",
    ]


def test_the_pages_show_what_was_in_force_on_a_chosen_day(client_for, steward_a, strategy):
    client = client_for(steward_a)
    listing = client.get("/intern/richtlinien/?stichtag=2025-06-30")
    assert listing.context["rows"][0]["in_force"].number == 1
    assert client.get("/intern/richtlinien/?stichtag=2025-07-01").context["rows"][0]["in_force"].number == 2
    assert client.get("/intern/richtlinien/?stichtag=2023-01-01").context["rows"][0]["in_force"] is None
    detail = client.get(f"/intern/richtlinien/{strategy.slug}/?stichtag=2024-05-01")
    assert detail.context["in_force"].number == 1


def test_the_diff_page_compares_two_versions(client_for, steward_a, strategy):
    response = client_for(steward_a).get(f"/intern/richtlinien/{strategy.slug}/vergleich/?von=1&bis=2")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<ins class="sd-ins"><span class="kern-sr-only">eingefügt: </span>' in html
    assert "Wiedervorlage" in html
    changed = [row for row in response.context["rows"] if row.kind != "equal"]
    assert changed
    rule_changes = response.context["rule_changes"]
    assert rule_changes == []  # the copied rule is unchanged


def test_the_version_page_lists_rules_with_their_sections(client_for, steward_a, default_rules):
    response = client_for(steward_a).get(f"/intern/richtlinien/{default_rules.slug}/fassungen/1/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "R-PERSONENBEZUG" in html
    assert "§ 3 Abs. 2" in html
    assert html.count("<h1") == 1
