"""Query-string filters of the governance endpoints. Organisations and documents are
named by their slug, rules by their code, as in the web UI's addresses."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from governance.models import (
    Decision,
    DecisionKind,
    DecisionOutcome,
    Organisation,
    OrgType,
    PolicyDocument,
    PolicyKind,
    PolicyVersion,
    Rule,
)


class OrganisationFilter(filters.FilterSet):
    type = filters.ChoiceFilter(field_name="org_type", choices=OrgType.choices, label=_("Art"))
    parent = filters.CharFilter(field_name="parent__slug", label=_("Übergeordnete Einheit (Kurzname)"))
    municipality_key = filters.CharFilter(label=_("Amtlicher Gemeindeschlüssel"))
    q = filters.CharFilter(method="search", label=_("Suchbegriff in Name, Kurzname oder Kommune"))

    class Meta:
        model = Organisation
        fields = ["type", "parent", "municipality_key", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value) | Q(municipality__icontains=value))


class DecisionFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=DecisionKind.choices, label=_("Art"))
    outcome = filters.ChoiceFilter(choices=DecisionOutcome.choices, label=_("Ergebnis"))
    subject_type = filters.CharFilter(
        method="filter_subject_type", label=_("Art des Gegenstands als app.modell, z. B. catalog.dataset")
    )
    subject_id = filters.CharFilter(label=_("Kennung des Gegenstands"))
    organisation = filters.CharFilter(field_name="organisation__slug", label=_("Organisation (Kurzname)"))
    decided_after = filters.DateFilter(
        field_name="decided_at", lookup_expr="date__gte", label=_("Entschieden am oder nach (Datum)")
    )
    decided_before = filters.DateFilter(
        field_name="decided_at", lookup_expr="date__lte", label=_("Entschieden am oder vor (Datum)")
    )

    class Meta:
        model = Decision
        fields = ["kind", "outcome", "subject_type", "subject_id", "organisation", "decided_after", "decided_before"]

    def filter_subject_type(self, queryset, name, value):
        app_label, _dot, model = value.lower().partition(".")
        return queryset.filter(subject_type__app_label=app_label, subject_type__model=model)


class PolicyDocumentFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=PolicyKind.choices, label=_("Art"))
    issuer = filters.CharFilter(field_name="issuer__slug", label=_("Herausgeber (Kurzname)"))
    q = filters.CharFilter(method="search", label=_("Suchbegriff in Titel oder Kurzname"))

    class Meta:
        model = PolicyDocument
        fields = ["kind", "issuer", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(slug__icontains=value))


class RuleFilter(filters.FilterSet):
    document = filters.CharFilter(field_name="document__slug", label=_("Dokument (Kurzname)"))
    in_force_on = filters.DateFilter(method="filter_in_force_on", label=_("Mit einer am Tag geltenden Version"))

    class Meta:
        model = Rule
        fields = ["document", "in_force_on"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(versions__policy_version__in=PolicyVersion.objects.in_force(value)).distinct()
