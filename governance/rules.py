"""The machine-readable rules of the open-by-default decision: which facts a rule may
test, how a condition is written and checked, and the pure evaluation of a set of
rule versions against the facts of one dataset.

A condition is JSON, nested with "all", "any" and "not":

    {"all": [{"field": "personal_data", "op": ">=", "value": 3},
             {"any": [{"field": "vs_nfd", "op": "is_true"},
                      {"field": "spatial_granularity", "op": "in", "value": ["point", "block"]}]}]}

`FACTS` is the documented list of fact names. Issue 5 (publication workflow) builds
the facts from a dataset's current classification and calls `evaluate_rules()`;
nothing here touches the database.

Missing facts: a *required* fact that is missing makes the comparison unknown, and an
unknown rule keeps the outcome at "pending" (nobody may assume it does not apply).
An *optional* fact that is missing means "not applicable": every comparison on it is
false (e.g. no disclosure check was run, so `sdc_passed is_false` does not fire).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .vocabularies import FORM_ORDER, PublicationForm


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    kind: str  # "int", "bool" or "enum"
    values: tuple = ()  # (value, label) pairs; for "int" the allowed range in order
    optional: bool = False
    derived: bool = False  # computed during evaluation, never passed in

    @property
    def allowed_values(self) -> list:
        if self.kind == "bool":
            return [True, False]
        return [value for value, _label in self.values]

    def value_label(self, value) -> str:
        if self.kind == "bool":
            return _("ja") if value else _("nein")
        for candidate, label in self.values:
            if candidate == value:
                if self.kind == "int" and str(label) != str(value):
                    return f"{label} ({value})"
                return str(label)
        return str(value)


def _levels(*labels):
    return tuple(enumerate(labels))


PROTECTION = ((1, gettext_lazy("normal")), (2, gettext_lazy("hoch")), (3, gettext_lazy("sehr hoch")))

FACT_LIST = [
    Fact("personal_data", gettext_lazy("Personenbezug"), "int", _levels(
        gettext_lazy("kein Personenbezug"), gettext_lazy("anonymisiert"), gettext_lazy("aggregiert, geprüft"),
        gettext_lazy("pseudonymisiert"), gettext_lazy("personenbezogen"), gettext_lazy("besondere Kategorien"))),
    Fact("confidentiality", gettext_lazy("Vertraulichkeitsstufe"), "int", _levels(
        gettext_lazy("öffentlich"), gettext_lazy("intern"), gettext_lazy("vertraulich"),
        gettext_lazy("streng vertraulich"))),
    Fact("vs_nfd", gettext_lazy("Verschlusssache (VS-NfD)"), "bool"),
    Fact("protection_confidentiality", gettext_lazy("Schutzbedarf Vertraulichkeit"), "int", PROTECTION),
    Fact("protection_integrity", gettext_lazy("Schutzbedarf Integrität"), "int", PROTECTION),
    Fact("protection_availability", gettext_lazy("Schutzbedarf Verfügbarkeit"), "int", PROTECTION),
    Fact("trade_secrets", gettext_lazy("Betriebs- und Geschäftsgeheimnisse"), "bool"),
    Fact("third_party_rights", gettext_lazy("Rechte Dritter"), "bool"),
    Fact("critical_infrastructure", gettext_lazy("Kritische Infrastruktur (KRITIS)"), "bool"),
    Fact("statistical_confidentiality", gettext_lazy("Statistikgeheimnis"), "bool"),
    Fact("vulnerable_subjects", gettext_lazy("Schutzbedürftige Betroffene"), "bool"),
    Fact("spatial_granularity", gettext_lazy("Räumliche Granularität"), "enum", (
        ("point", gettext_lazy("Adresse oder Koordinate")), ("block", gettext_lazy("Baublock")),
        ("district", gettext_lazy("Stadtteil oder Bezirk")), ("municipality", gettext_lazy("Gemeinde")),
        ("none", gettext_lazy("ohne Raumbezug")))),
    Fact("temporal_granularity", gettext_lazy("Zeitliche Granularität"), "enum", (
        ("event", gettext_lazy("Einzelereignis")), ("day", gettext_lazy("Tag")), ("month", gettext_lazy("Monat")),
        ("year", gettext_lazy("Jahr")), ("none", gettext_lazy("ohne Zeitbezug")))),
    Fact("licence_is_open", gettext_lazy("Offene Lizenz"), "bool"),
    Fact("hvd", gettext_lazy("Hochwertiger Datensatz (HVD)"), "bool"),
    Fact("publisher_dng_role", gettext_lazy("Rolle des Herausgebers nach DNG"), "enum", (
        ("oeffentliche_stelle", gettext_lazy("öffentliche Stelle")),
        ("daseinsvorsorge", gettext_lazy("Unternehmen der Daseinsvorsorge")),
        ("nicht_erfasst", gettext_lazy("nicht erfasst")))),
    Fact("ethics_outcome", gettext_lazy("Ergebnis der Ethikprüfung"), "enum", (
        ("approved", gettext_lazy("unbedenklich")), ("conditions", gettext_lazy("mit Auflagen")),
        ("revise", gettext_lazy("überarbeiten")), ("board", gettext_lazy("an den Ethikbeirat verwiesen")),
        ("rejected", gettext_lazy("abgelehnt"))), optional=True),
    Fact("sdc_passed", gettext_lazy("Geheimhaltungsprüfung (SDC) bestanden"), "bool", optional=True),
    # Set by catalog.workflow from the automatic disclosure check of uploaded tables.
    Fact("small_cells", gettext_lazy("Kleine Fallzahlen in Tabellen"), "bool", optional=True),
    Fact("algorithmic_system", gettext_lazy("Algorithmisches System"), "bool", optional=True),
    Fact("dek_criticality", gettext_lazy("Kritikalität nach DEK"), "int",
         tuple((level, str(level)) for level in range(1, 6)), optional=True),
    Fact("ai_act_tier", gettext_lazy("Risikostufe nach KI-Verordnung"), "enum", (
        ("prohibited", gettext_lazy("verboten")), ("high", gettext_lazy("hohes Risiko")),
        ("transparency", gettext_lazy("Transparenzpflichten")), ("minimal", gettext_lazy("minimales Risiko"))),
        optional=True),
    Fact("dpia_criteria", gettext_lazy("Erfüllte DSFA-Kriterien (WP248)"), "int",
         tuple((n, str(n)) for n in range(10)), optional=True),
    Fact("derived_from_personal", gettext_lazy("Aus personenbezogenen Daten abgeleitet"), "bool", optional=True),
    Fact("socio_economic", gettext_lazy("Sozioökonomische Merkmale"), "bool", optional=True),
    Fact("public_space_sensors", gettext_lazy("Sensoren im öffentlichen Raum"), "bool", optional=True),
    Fact("commercial_reuse_by_private_partner", gettext_lazy("Kommerzielle Nutzung durch privaten Partner"), "bool",
         optional=True),
    Fact("exclusion_claimed", gettext_lazy("Ausschlussgrund geltend gemacht"), "bool", optional=True),
    Fact("blocked", gettext_lazy("Von einer anderen Regel gesperrt"), "bool", derived=True),
]  # fmt: skip
FACTS = {fact.name: fact for fact in FACT_LIST}

OPERATORS = {
    "==": gettext_lazy("gleich"),
    "!=": gettext_lazy("ungleich"),
    "<": gettext_lazy("kleiner als"),
    "<=": gettext_lazy("höchstens"),
    ">": gettext_lazy("größer als"),
    ">=": gettext_lazy("mindestens"),
    "in": gettext_lazy("einer von"),
    "is_true": gettext_lazy("trifft zu"),
    "is_false": gettext_lazy("trifft nicht zu"),
}
OPERATORS_BY_KIND = {
    "int": ["==", "!=", "<", "<=", ">", ">=", "in"],
    "enum": ["==", "!=", "in"],
    "bool": ["is_true", "is_false", "==", "!="],
}
MAX_DEPTH = 6


class Effect:
    BLOCK = "block"
    REQUIRE_REVIEW = "require_review"
    REQUIRE_CONDITIONS = "require_conditions"

    choices = [
        (BLOCK, gettext_lazy("Sperren (mit Ausschlussgrund und Alternative)")),
        (REQUIRE_REVIEW, gettext_lazy("Prüfung verlangen")),
        (REQUIRE_CONDITIONS, gettext_lazy("Auflagen verlangen")),
    ]


class ReviewRole:
    LEGAL = "legal_reviewer"
    ETHICS_BOARD = "ethics_board"
    DPO = "dpo"
    STATISTICS_OFFICE = "statistics_office"
    ISB = "isb"

    choices = [
        (LEGAL, gettext_lazy("Rechtsprüfung")),
        (ETHICS_BOARD, gettext_lazy("Datenethikbeirat")),
        (DPO, gettext_lazy("Datenschutzbeauftragte:r")),
        (STATISTICS_OFFICE, gettext_lazy("Statistikstelle")),
        (ISB, gettext_lazy("Informationssicherheitsbeauftragte:r")),
    ]
    values = [value for value, _label in choices]


ALTERNATIVE_FORMS = [form for form in FORM_ORDER if form != PublicationForm.OPEN]
PENDING = "pending"
OUTCOME_CHOICES = [*PublicationForm.choices, (PENDING, gettext_lazy("Prüfung ausstehend"))]


class ConditionError(ValueError):
    """An invalid condition; the message names the problem in German."""


def _where(path: str) -> str:
    return _(" (in Bedingung %(path)s)") % {"path": path} if path else ""


def validate_condition(condition: Any, path: str = "", depth: int = 0) -> None:
    """Raise ConditionError with a German message naming the first problem found."""
    if depth > MAX_DEPTH:
        raise ConditionError(_("Die Bedingung ist zu tief verschachtelt (höchstens %(n)d Ebenen).") % {"n": MAX_DEPTH})
    if not isinstance(condition, dict):
        raise ConditionError(
            _("Eine Bedingung ist ein JSON-Objekt mit „all“, „any“, „not“ oder „field“/„op“%(where)s.")
            % {"where": _where(path)}
        )
    combinators = [key for key in ("all", "any", "not") if key in condition]
    if combinators:
        key = combinators[0]
        if len(condition) != 1:
            extra = ", ".join(sorted(k for k in condition if k != key))
            raise ConditionError(
                _("Neben „%(key)s“ ist nichts weiter erlaubt, gefunden: %(extra)s%(where)s.")
                % {"key": key, "extra": extra, "where": _where(path)}
            )
        if key == "not":
            validate_condition(condition["not"], f"{path}.not".lstrip("."), depth + 1)
            return
        parts = condition[key]
        if not isinstance(parts, list) or not parts:
            raise ConditionError(
                _("„%(key)s“ braucht eine nicht leere Liste von Bedingungen%(where)s.")
                % {"key": key, "where": _where(path)}
            )
        for index, part in enumerate(parts, start=1):
            validate_condition(part, f"{path}.{index}".lstrip("."), depth + 1)
        return
    _validate_leaf(condition, path)


def _validate_leaf(leaf: dict, path: str) -> None:
    where = _where(path)
    unknown_keys = set(leaf) - {"field", "op", "value"}
    if unknown_keys:
        raise ConditionError(
            _("Unbekannter Schlüssel %(keys)s%(where)s; erlaubt sind „field“, „op“ und „value“.")
            % {"keys": ", ".join(f"„{k}“" for k in sorted(unknown_keys)), "where": where}
        )
    name = leaf.get("field")
    if name not in FACTS:
        raise ConditionError(
            _("Unbekanntes Merkmal „%(name)s“%(where)s. Erlaubt sind: %(names)s.")
            % {"name": name, "where": where, "names": ", ".join(FACTS)}
        )
    fact = FACTS[name]
    op = leaf.get("op")
    allowed_ops = OPERATORS_BY_KIND[fact.kind]
    if op not in OPERATORS:
        raise ConditionError(
            _("Unbekannter Operator „%(op)s“ bei „%(name)s“%(where)s. Erlaubt sind: %(ops)s.")
            % {"op": op, "name": name, "where": where, "ops": ", ".join(allowed_ops)}
        )
    if op not in allowed_ops:
        raise ConditionError(
            _("Der Operator „%(op)s“ passt nicht zum Merkmal „%(name)s“%(where)s. Erlaubt sind: %(ops)s.")
            % {"op": op, "name": name, "where": where, "ops": ", ".join(allowed_ops)}
        )
    if op in ("is_true", "is_false"):
        if "value" in leaf:
            raise ConditionError(
                _("„%(op)s“ braucht keinen Wert („value“ weglassen)%(where)s.") % {"op": op, "where": where}
            )
        return
    if "value" not in leaf:
        raise ConditionError(
            _("Für „%(name)s %(op)s“ fehlt der Wert („value“)%(where)s.") % {"name": name, "op": op, "where": where}
        )
    value = leaf["value"]
    values = value if op == "in" else [value]
    if op == "in" and (not isinstance(value, list) or not value):
        raise ConditionError(
            _("„in“ braucht eine nicht leere Liste von Werten für „%(name)s“%(where)s.")
            % {"name": name, "where": where}
        )
    allowed = fact.allowed_values
    for item in values:
        # bool is an int in Python; a true/false for a numeric fact is still wrong.
        wrong_type = (fact.kind == "int" and (isinstance(item, bool) or not isinstance(item, int))) or (
            fact.kind == "bool" and not isinstance(item, bool)
        )
        if wrong_type or item not in allowed:
            raise ConditionError(
                _("Der Wert %(value)s ist für „%(name)s“ nicht erlaubt%(where)s. Erlaubt sind: %(allowed)s.")
                % {
                    "value": _json_text(item),
                    "name": name,
                    "where": where,
                    "allowed": ", ".join(_json_text(v) for v in allowed),
                }
            )


def _json_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"„{value}“"
    return str(value)


def condition_fields(condition) -> set[str]:
    """The fact names a (valid) condition refers to."""
    if "field" in condition:
        return {condition["field"]}
    if "not" in condition:
        return condition_fields(condition["not"])
    return set().union(*(condition_fields(part) for part in condition.get("all", condition.get("any", []))))


def describe_condition(condition, depth: int = 0) -> str:
    """The condition in words, e.g. "Personenbezug mindestens pseudonymisiert (3)"."""
    if "field" in condition:
        fact = FACTS.get(condition["field"])
        if fact is None:
            return str(condition)
        op = condition["op"]
        if op == "is_true":
            return f"{fact.label}"
        if op == "is_false":
            return _("nicht: %(label)s") % {"label": fact.label}
        if op == "in":
            values = ", ".join(fact.value_label(v) for v in condition["value"])
            return f"{fact.label} {OPERATORS[op]}: {values}"
        return f"{fact.label} {OPERATORS[op]} {fact.value_label(condition['value'])}"
    if "not" in condition:
        return _("nicht (%(inner)s)") % {"inner": describe_condition(condition["not"], depth + 1)}
    key = "all" if "all" in condition else "any"
    joiner = _(" und ") if key == "all" else _(" oder ")
    text = joiner.join(describe_condition(part, depth + 1) for part in condition[key])
    return f"({text})" if depth and len(condition[key]) > 1 else text


def _compare(op: str, actual, expected) -> bool:
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op == "in":
        return actual in expected
    if op == "==":
        return actual == expected
    if op == "!=":
        return actual != expected
    if actual is None:
        return False
    return {"<": actual < expected, "<=": actual <= expected, ">": actual > expected, ">=": actual >= expected}[op]


def evaluate_condition(condition, facts: dict) -> bool | None:
    """True, False, or None when a required fact is missing (three-valued logic)."""
    if "field" in condition:
        name = condition["field"]
        if name not in facts or facts[name] is None:
            return None if not FACTS[name].optional else False
        return _compare(condition["op"], facts[name], condition.get("value"))
    if "not" in condition:
        inner = evaluate_condition(condition["not"], facts)
        return None if inner is None else not inner
    key = "all" if "all" in condition else "any"
    results = [evaluate_condition(part, facts) for part in condition[key]]
    if key == "all":
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


def validate_facts(facts: dict) -> None:
    """Refuse unknown fact names and values outside a fact's range (a programming
    error of the caller, hence ValueError in English)."""
    for name, value in facts.items():
        fact = FACTS.get(name)
        if fact is None or fact.derived:
            raise ValueError(f"unknown fact {name!r}; see governance.rules.FACTS")
        if value is None:
            continue
        if fact.kind == "bool" and not isinstance(value, bool):
            raise ValueError(f"fact {name!r} must be true or false, not {value!r}")
        if fact.kind != "bool" and value not in fact.allowed_values:
            raise ValueError(f"fact {name!r} has no value {value!r}; allowed: {fact.allowed_values}")


@dataclass(frozen=True)
class Block:
    rule: str
    rule_version_id: int | None
    ground: str
    alternative: str
    section: str = ""


@dataclass
class RuleEvaluation:
    """What the rules say about one set of facts."""

    outcome: str
    blocks: list[Block] = field(default_factory=list)
    reviews: dict[str, list[str]] = field(default_factory=dict)  # role → codes of the rules asking for it
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (rule code, text)
    undecided: list[tuple[str, list[str]]] = field(default_factory=list)  # (rule code, missing facts)
    rereview_months: int | None = None
    rereview_on: date | None = None
    trace: list[dict] = field(default_factory=list)
    rule_version_ids: list[int] = field(default_factory=list)

    @property
    def grounds(self) -> list[str]:
        return sorted({block.ground for block in self.blocks})

    @property
    def required_reviews(self) -> list[str]:
        return [role for role in ReviewRole.values if role in self.reviews]

    @property
    def is_open(self) -> bool:
        return self.outcome == PublicationForm.OPEN

    def as_dict(self) -> dict:
        """A JSON-ready record for Decision.evaluation."""
        return {
            "outcome": self.outcome,
            "blocks": [block.__dict__ for block in self.blocks],
            "reviews": self.reviews,
            "conditions": [list(c) for c in self.conditions],
            "undecided": [[code, missing] for code, missing in self.undecided],
            "rereview_months": self.rereview_months,
            "rereview_on": self.rereview_on.isoformat() if self.rereview_on else None,
            "trace": self.trace,
        }


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def evaluate_rules(rule_versions: Iterable, facts: dict, *, on: date | None = None) -> RuleEvaluation:
    """Evaluate rule versions (objects with code, condition, effect, ground,
    alternative, review_roles, conditions_text, rereview_months, pk and
    section_number) against `facts`. Pure: no database access, no clock unless `on`
    is missing (then the re-review date counts from today).

    Outcome: if a rule blocks, the most restrictive of the blocks' alternatives (each
    block names the least restrictive form that resolves it, so the result is the
    least restrictive form all blocks allow); otherwise "pending" while a review is
    required or a rule could not be decided; otherwise "open".
    """
    validate_facts(facts)
    rules = list(rule_versions)
    result = RuleEvaluation(outcome=PublicationForm.OPEN)
    # Rules about the derived fact "blocked" run after all others.
    first = [r for r in rules if "blocked" not in condition_fields(r.condition)]
    second = [r for r in rules if r not in first]
    facts = dict(facts)
    months: list[int] = []
    for batch in (first, second):
        if batch is second:
            facts["blocked"] = bool(result.blocks)
        for rule in sorted(batch, key=lambda r: r.code):
            verdict = evaluate_condition(rule.condition, facts)
            result.trace.append({"rule": rule.code, "rule_version_id": rule.pk, "result": verdict})
            if rule.pk is not None:
                result.rule_version_ids.append(rule.pk)
            if verdict is None:
                missing = sorted(n for n in condition_fields(rule.condition) if facts.get(n) is None)
                result.undecided.append((rule.code, missing))
                continue
            if not verdict:
                continue
            if rule.effect == Effect.BLOCK:
                result.blocks.append(
                    Block(rule.code, rule.pk, rule.ground, rule.alternative, getattr(rule, "section_number", ""))
                )
            elif rule.effect == Effect.REQUIRE_REVIEW:
                for role in rule.review_roles:
                    result.reviews.setdefault(role, []).append(rule.code)
            elif rule.effect == Effect.REQUIRE_CONDITIONS:
                result.conditions.append((rule.code, rule.conditions_text))
            if rule.rereview_months:
                months.append(rule.rereview_months)
    if result.blocks:
        result.outcome = max((block.alternative for block in result.blocks), key=FORM_ORDER.index)
    elif result.reviews or result.undecided:
        result.outcome = PENDING
    if months and (result.blocks or result.reviews or result.conditions):
        result.rereview_months = min(months)
        result.rereview_on = add_months(on or timezone.localdate(), result.rereview_months)
    return result
