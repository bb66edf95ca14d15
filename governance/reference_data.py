"""Reference data every installation starts with: the vocabularies (also loaded by
migration 0003) and the default rule set of the open-by-default decision
(reference/ethics_legal.md §7.6) as an adopted, in-force service instruction.

`make run` gets both through `migrate` + `seed_demo`; a production installation runs
`manage.py load_default_rules` once; tests call the functions directly (a flushed
test database has neither)."""

from datetime import date

from django.db import transaction

from . import services
from .models import PolicyDocument, PolicyKind, VocabularyTerm
from .rules import Effect, ReviewRole
from .vocabularies import PublicationForm, all_terms


def ensure_vocabularies(*, by=None) -> int:
    """Create the vocabulary terms that are missing (with history and audit events);
    returns how many were created."""
    existing = set(VocabularyTerm.objects.values_list("vocabulary", "code"))
    created = 0
    with transaction.atomic():
        for term in all_terms():
            if (term.vocabulary, term.code) in existing:
                continue
            row = VocabularyTerm(
                vocabulary=term.vocabulary,
                code=term.code,
                label=term.label,
                sources=list(term.sources),
                attributes=term.attributes,
                source_url=term.source_url,
                valid_from=term.valid_from,
            )
            row._history_user = by
            row._change_reason = "governance.vocabulary.loaded"
            row.save()
            created += 1
    return created


DEFAULT_RULES_SLUG = "dienstanweisung-veroeffentlichung"
DEFAULT_RULES_TITLE = "Dienstanweisung Datenklassifizierung und Veröffentlichung"

DEFAULT_RULES_BODY = """Diese Dienstanweisung setzt den Grundsatz „Open by Default“ der Datenstrategie um. \
Sie bestimmt, wie die Einstufung eines Datensatzes zu einer Veröffentlichungsentscheidung führt.

## § 1 Geltungsbereich

(1) Diese Dienstanweisung gilt für alle Dienststellen, Eigenbetriebe und Gesellschaften des Stadtverbunds, \
die Daten im Datenkatalog führen.

(2) Sie gilt für jede Entscheidung über die Veröffentlichung oder Weitergabe eines Datensatzes.

## § 2 Grundsatz „Open by Default“

(1) Daten werden als offene Daten veröffentlicht, soweit kein Ausschlussgrund nach § 3 vorliegt.

(2) Wer Daten nicht oder nur eingeschränkt veröffentlicht, nennt den Ausschlussgrund und einen Termin zur \
Wiedervorlage.

(3) Eine Sperre gilt immer für eine Form der Veröffentlichung. Vorgeschlagen wird die am wenigsten \
einschränkende Alternative: aggregiert, geschwärzt, nur intern.

## § 3 Ausschlussgründe

(1) Verschlusssachen werden nicht veröffentlicht.

(2) Pseudonymisierte und personenbezogene Daten werden nicht als offene Daten veröffentlicht; zulässig ist die \
Veröffentlichung aggregierter oder anonymisierter Daten.

(3) Daten der Vertraulichkeitsstufe „vertraulich“ oder höher werden nur nach einer Neueinstufung oder mit \
belegtem Ausschlussgrund veröffentlicht.

(4) Daten mit sehr hohem Schutzbedarf an Vertraulichkeit werden nicht veröffentlicht.

(5) Aggregierte Daten, die die statistische Geheimhaltungsprüfung nicht bestehen, werden erst nach Behebung \
veröffentlicht.

(6) Lehnt der Datenethikbeirat eine Veröffentlichung ab, unterbleibt sie; die Begründung wird veröffentlicht.

## § 4 Prüfpflichten

(1) Die Rechtsprüfung ist zu beteiligen, wenn Betriebs- oder Geschäftsgeheimnisse, Rechte Dritter oder \
kritische Infrastrukturen betroffen sind, wenn ein Ausschlussgrund geltend gemacht wird oder wenn die Daten \
von einem Unternehmen der Daseinsvorsorge stammen.

(2) Anonymisierte oder aggregierte Daten, die aus personenbezogenen Daten abgeleitet sind, prüfen die \
Rechtsprüfung und die oder der Datenschutzbeauftragte.

(3) Unterliegen Daten dem Statistikgeheimnis, ist die Statistikstelle zu beteiligen. Dasselbe gilt, wenn die \
automatische Geheimhaltungsprüfung in Tabellen anonymisierter oder aggregierter Daten Fallzahlen unter dem \
Mindestwert findet.

(4) Bei hohem Schutzbedarf an Vertraulichkeit prüfen die oder der Informationssicherheitsbeauftragte und die \
Rechtsprüfung.

(5) Daten, für die keine offene Lizenz vorgesehen ist, prüft die Rechtsprüfung.

## § 5 Hochwertige Datensätze

(1) Hochwertige Datensätze nach der Durchführungsverordnung (EU) 2023/138 werden kostenfrei, maschinenlesbar, \
über eine Programmierschnittstelle und als Massendownload unter CC BY 4.0, CC0 oder einer gleichwertigen \
Lizenz bereitgestellt.

(2) Soll ein hochwertiger Datensatz nicht oder nur eingeschränkt veröffentlicht werden, ist die Rechtsprüfung \
zu beteiligen.

## § 6 Datenethik

(1) Der Datenethikbeirat ist zu beteiligen bei schutzbedürftigen Betroffenen, bei algorithmischen Systemen ab \
Kritikalitätsstufe 3 oder mit hohem Risiko nach der KI-Verordnung, bei kleinräumigen sozioökonomischen Daten, \
bei Sensoren im öffentlichen Raum, bei kommerzieller Nutzung durch private Partner, bei zwei oder mehr \
Kriterien einer Datenschutz-Folgenabschätzung und wenn die Ethikprüfung an ihn verweist.

## § 7 Wiedervorlage

(1) Jede Sperre und jede Auflage wird spätestens nach der in der jeweiligen Regel bestimmten Frist erneut \
geprüft.
"""


def _is(field):
    return {"field": field, "op": "is_true"}


# code, section, title, condition, effect, extra fields
DEFAULT_RULES = [
    ("R-VERSCHLUSSSACHE", "§ 3 Abs. 1", "Verschlusssachen werden nicht veröffentlicht", _is("vs_nfd"),
     Effect.BLOCK, {"ground": "CLASSIFIED", "alternative": PublicationForm.CLOSED, "rereview_months": 24}),
    ("R-PERSONENBEZUG", "§ 3 Abs. 2", "Personenbezogene Daten nur aggregiert",
     {"field": "personal_data", "op": ">=", "value": 3},
     Effect.BLOCK, {"ground": "PERSONAL_DATA", "alternative": PublicationForm.AGGREGATED, "rereview_months": 24}),
    ("R-VERTRAULICH", "§ 3 Abs. 3", "Vertrauliche Daten nur nach Neueinstufung",
     {"field": "confidentiality", "op": ">=", "value": 2},
     Effect.BLOCK, {"ground": "CONFIDENTIALITY_LEVEL", "alternative": PublicationForm.INTERNAL,
                    "rereview_months": 12}),
    ("R-SCHUTZBEDARF-SEHR-HOCH", "§ 3 Abs. 4", "Sehr hoher Schutzbedarf an Vertraulichkeit",
     {"field": "protection_confidentiality", "op": "==", "value": 3},
     Effect.BLOCK, {"ground": "PROTECTION_NEED_VERY_HIGH", "alternative": PublicationForm.INTERNAL,
                    "rereview_months": 12}),
    ("R-GEHEIMHALTUNG", "§ 3 Abs. 5", "Geheimhaltungsprüfung nicht bestanden",
     {"field": "sdc_passed", "op": "is_false"},
     Effect.BLOCK, {"ground": "SDC_FAILED", "alternative": PublicationForm.AGGREGATED, "rereview_months": 3}),
    ("R-ETHIK-VETO", "§ 3 Abs. 6", "Einwand des Datenethikbeirats",
     {"field": "ethics_outcome", "op": "==", "value": "rejected"},
     Effect.BLOCK, {"ground": "ETHICS_BOARD_VETO", "alternative": PublicationForm.CLOSED, "rereview_months": 12}),
    ("R-RECHTE-DRITTER", "§ 4 Abs. 1", "Geschäftsgeheimnisse, Rechte Dritter, KRITIS: Rechtsprüfung",
     {"any": [_is("trade_secrets"), _is("third_party_rights"), _is("critical_infrastructure")]},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL]}),
    ("R-AUSSCHLUSSGRUND", "§ 4 Abs. 1", "Geltend gemachter Ausschlussgrund: Rechtsprüfung",
     _is("exclusion_claimed"), Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL]}),
    ("R-DASEINSVORSORGE", "§ 4 Abs. 1", "Daten der Daseinsvorsorge: Rechtsprüfung (§ 4 Abs. 2 DNG)",
     {"field": "publisher_dng_role", "op": "==", "value": "daseinsvorsorge"},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL]}),
    ("R-ANONYMISIERUNG", "§ 4 Abs. 2", "Anonymisierungsnachweis für abgeleitete Daten",
     {"all": [{"field": "personal_data", "op": "in", "value": [1, 2]}, _is("derived_from_personal")]},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL, ReviewRole.DPO]}),
    ("R-STATISTIKGEHEIMNIS", "§ 4 Abs. 3", "Statistikgeheimnis: Statistikstelle",
     _is("statistical_confidentiality"), Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.STATISTICS_OFFICE]}),
    ("R-KLEINE-FALLZAHLEN", "§ 4 Abs. 3", "Kleine Fallzahlen in aggregierten Tabellen: Statistikstelle",
     {"all": [_is("small_cells"),
              {"any": [{"field": "personal_data", "op": "in", "value": [1, 2]}, _is("derived_from_personal"),
                       _is("statistical_confidentiality")]}]},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.STATISTICS_OFFICE]}),
    ("R-SCHUTZBEDARF-HOCH", "§ 4 Abs. 4", "Hoher Schutzbedarf: Informationssicherheit und Rechtsprüfung",
     {"field": "protection_confidentiality", "op": "==", "value": 2},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.ISB, ReviewRole.LEGAL]}),
    ("R-LIZENZ", "§ 4 Abs. 5", "Keine offene Lizenz: Rechtsprüfung",
     {"field": "licence_is_open", "op": "is_false"},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL]}),
    ("R-HVD-AUFLAGEN", "§ 5 Abs. 1", "Hochwertige Datensätze: API, Massendownload, kostenfrei, offene Lizenz",
     _is("hvd"), Effect.REQUIRE_CONDITIONS,
     {"conditions_text": "Bereitstellung über eine Programmierschnittstelle und als Massendownload, kostenfrei, "
                         "unter CC0, CC BY 4.0, DL-DE Zero 2.0 oder DL-DE BY 2.0 (Gleichwertigkeit der "
                         "Datenlizenz Deutschland von der Rechtsprüfung bestätigen lassen).",
      "rereview_months": 12}),
    ("R-HVD-SPERRE", "§ 5 Abs. 2", "Gesperrter hochwertiger Datensatz: Rechtsprüfung",
     {"all": [_is("hvd"), _is("blocked")]}, Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.LEGAL]}),
    ("R-ETHIKBEIRAT", "§ 6 Abs. 1", "Datenethikbeirat beteiligen",
     {"any": [
         _is("vulnerable_subjects"),
         {"field": "dek_criticality", "op": ">=", "value": 3},
         {"field": "ai_act_tier", "op": "in", "value": ["high", "prohibited"]},
         {"all": [{"field": "spatial_granularity", "op": "in", "value": ["point", "block"]},
                  _is("socio_economic")]},
         _is("public_space_sensors"),
         _is("commercial_reuse_by_private_partner"),
         {"field": "dpia_criteria", "op": ">=", "value": 2},
         {"field": "ethics_outcome", "op": "==", "value": "board"},
     ]},
     Effect.REQUIRE_REVIEW, {"review_roles": [ReviewRole.ETHICS_BOARD]}),
]  # fmt: skip


def install_default_rule_set(
    *,
    by=None,
    issuer=None,
    adopted_on: date = date(2025, 1, 20),
    valid_from: date = date(2025, 2, 1),
) -> PolicyDocument:
    """Create the service instruction carrying the default rule set, adopted and in
    force from `valid_from`. Does nothing if the document already has a version."""
    document = PolicyDocument.objects.filter(slug=DEFAULT_RULES_SLUG).first()
    if document is not None and document.versions.exists():
        return document
    ensure_vocabularies(by=by)
    with transaction.atomic():
        if document is None:
            document = services.create_document(
                by=by,
                kind=PolicyKind.SERVICE_INSTRUCTION,
                title=DEFAULT_RULES_TITLE,
                slug=DEFAULT_RULES_SLUG,
                description="Die maschinenlesbaren Regeln der Entscheidung „Open by Default“: wann eine "
                "Veröffentlichung gesperrt ist, welche Prüfungen nötig sind und welche Auflagen gelten.",
                issuer=issuer,
            )
        version = services.create_draft(
            document, by=by, title=DEFAULT_RULES_TITLE, body=DEFAULT_RULES_BODY, change_note="Erstfassung"
        )
        sections = {section.number: section for section in version.sections.all()}
        for code, section, title, condition, effect, extra in DEFAULT_RULES:
            services.save_rule_version(
                version,
                by=by,
                code=code,
                fields={"section": sections[section], "title": title, "condition": condition, "effect": effect,
                        **extra},
            )  # fmt: skip
        services.adopt_version(
            version,
            by=by,
            adopted_by="Verwaltungsvorstand des Stadtverbunds",
            adopted_on=adopted_on,
            resolution_number="VV-2025/004",
        )
        services.put_in_force(version, by=by, valid_from=valid_from)
    return document
