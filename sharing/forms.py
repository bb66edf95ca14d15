from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import DATE_INPUT
from catalog.models import Dataset, DatasetState
from governance.forms import EMPTY_LABEL, ModelForm
from governance.models import Organisation, PolicyKind, PolicyStatus, PolicyVersion

from . import services
from .models import AgreementType, SharingAgreement, SharingCondition


class ProviderForm(forms.Form):
    """Step 1 of a new agreement: whose data it is about (the datasets offered next
    are that organisation's)."""

    anbieter = forms.ModelChoiceField(
        label=_("Welche Organisation stellt die Daten bereit?"),
        queryset=Organisation.objects.order_by("name"),
        to_field_name="slug",
        empty_label=EMPTY_LABEL,
    )


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(document)s – Fassung %(number)s (%(status)s)") % {
            "document": obj.document.title,
            "number": obj.number,
            "status": obj.get_status_display(),
        }


def legal_basis_order(code: str) -> tuple:
    parts = code.split("_")
    if parts[0] == "GDPR":
        return (0, int(parts[1]), code)
    return (1, 0 if parts[0] == "DE" else 1, code)


class AgreementForm(ModelForm):
    """A sharing agreement's content; the provider is fixed by step 1 (or the stored
    agreement). Whether the whole is consistent is checked on submission
    (services.agreement_problems), so a draft can be saved incomplete."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    legal_bases = forms.MultipleChoiceField(
        label=_("Rechtsgrundlagen"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Bei personenbezogenen Daten Pflicht; besondere Kategorien brauchen zusätzlich Art. 9 oder 10."),
    )
    conditions = forms.MultipleChoiceField(
        label=_("Auflagen"), required=False, widget=forms.CheckboxSelectMultiple, choices=SharingCondition.choices
    )
    datasets = forms.ModelMultipleChoiceField(
        label=_("Datensätze"),
        queryset=Dataset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Nicht veröffentlichte Datensätze der bereitstellenden Organisation und ihrer Einheiten."),
    )
    contract = ContractChoiceField(
        label=_("Vertragsdokument"),
        queryset=PolicyVersion.objects.none(),
        required=False,
        empty_label=_("keines"),
        help_text=_(
            "Pflicht bei gemeinsamer Verantwortlichkeit und Auftragsverarbeitung. Verträge pflegt die "
            "Governance-Stelle unter „Richtlinien“."
        ),
    )
    reason = forms.CharField(label=_("Grund der Änderung"), max_length=80, required=False)

    class Meta(ModelForm.Meta):
        model = SharingAgreement
        fields = [
            "title",
            "recipient",
            "agreement_type",
            "purpose",
            "datasets",
            "legal_bases",
            "legal_norm",
            "conditions",
            "deletion_period_months",
            "further_conditions",
            "valid_from",
            "valid_until",
            "contract",
        ]
        widgets = {
            "valid_from": DATE_INPUT,
            "valid_until": DATE_INPUT,
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "further_conditions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, provider: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields["recipient"].queryset = Organisation.objects.exclude(pk=provider.pk).order_by("name")
        self.fields["recipient"].empty_label = EMPTY_LABEL
        self.fields["agreement_type"].widget = forms.RadioSelect(choices=AgreementType.choices)
        # Art. 6 first, then Art. 9 and 10, each in the order of its letters; then federal and state law.
        terms = sorted(services.legal_basis_terms().items(), key=lambda item: legal_basis_order(item[0]))
        self.fields["legal_bases"].choices = [(code, term.label) for code, term in terms]
        units = Organisation.objects.subtree_ids([provider])
        datasets = Dataset.objects.filter(publisher__in=units).exclude(state=DatasetState.PUBLISHED)
        if self.instance.pk:  # keep a covered dataset selectable even after it was published
            datasets = datasets | self.instance.datasets.all()
        self.fields["datasets"].queryset = datasets.distinct().order_by("title")
        self.fields["contract"].queryset = (
            PolicyVersion.objects.filter(document__kind=PolicyKind.CONTRACT)
            .exclude(status=PolicyStatus.DRAFT)
            .select_related("document")
            .order_by("document__title", "-number")
        )
        self.fields["version"].initial = self.instance.version
        if not self.instance.pk:
            today = timezone.localdate()
            self.fields["valid_from"].initial = today
            self.fields["valid_until"].initial = today.replace(year=today.year + 1) - timedelta(days=1)
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("Das Ende muss nach dem Beginn liegen."))
        return data

    def model_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.AGREEMENT_FIELDS}


class TransitionForm(forms.Form):
    """The input of one step of an agreement, as its declaration (sharing.services.TRANSITIONS)
    says: the version seen, and reasons where the step takes them."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reasons = forms.CharField(
        label=_("Begründung"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, transition, agreement=None, **kwargs):
        super().__init__(*args, prefix=transition.action, **kwargs)
        if agreement is not None:
            self.fields["expected_version"].initial = agreement.version
        if not transition.takes_reasons:
            del self.fields["reasons"]
        elif transition.reason_required:
            # Shown as mandatory; on submission the service says what is missing.
            self.fields["reasons"].required = not self.is_bound
            self.fields["reasons"].label = _("Begründung (Pflicht)")
        else:
            self.fields["reasons"].label = _("Anmerkung")


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=_("Suchbegriff"), required=False, max_length=200)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("alle"),
    )

    def filter(self, datasets):
        if not self.is_bound or not self.is_valid():
            return datasets
        from django.db.models import Exists, OuterRef, Q

        from catalog.models import Keyword

        query = self.cleaned_data.get("q", "").strip()
        if query:
            keyword = Keyword.objects.filter(datasets=OuterRef("pk"), name__icontains=query)
            datasets = datasets.filter(Q(title__icontains=query) | Q(description__icontains=query) | Exists(keyword))
        if self.cleaned_data.get("organisation"):
            units = Organisation.objects.subtree_ids([self.cleaned_data["organisation"]])
            datasets = datasets.filter(publisher__in=units)
        return datasets

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class AccessRequestForm(forms.Form):
    recipient = forms.ModelChoiceField(
        label=_("Für welche Organisation brauchen Sie den Zugang?"),
        queryset=Organisation.objects.none(),
        empty_label=EMPTY_LABEL,
    )
    purpose = forms.CharField(
        label=_("Zweck"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("Wofür brauchen Sie die Daten, und warum genügen veröffentlichte Daten nicht?"),
    )
    valid_from = forms.DateField(label=_("Zugang ab"), widget=DATE_INPUT)
    valid_until = forms.DateField(
        label=_("Zugang bis (einschließlich)"), widget=DATE_INPUT, help_text=_("Höchstens ein Jahr.")
    )
    agreement = forms.ModelChoiceField(
        label=_("Datennutzungsvereinbarung"),
        queryset=SharingAgreement.objects.none(),
        required=False,
        empty_label=_("keine"),
    )

    def __init__(self, *args, recipients, agreements, agreement_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients
        self.fields["recipient"].empty_label = EMPTY_LABEL if len(recipients) != 1 else None
        self.fields["agreement"].queryset = agreements
        if agreement_required:
            self.fields["agreement"].help_text = _(
                "Für diesen Datensatz ist eine wirksame Vereinbarung zwischen den Organisationen nötig."
            )
        else:
            self.fields["agreement"].help_text = _(
                "Nur nötig bei personenbezogenen Daten oder über Rechtsträger hinweg."
            )
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + timedelta(days=90)


class DecisionForm(forms.Form):
    reasons = forms.CharField(
        label=_("Begründung"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bei einer Ablehnung Pflicht; die antragstellende Person liest sie."),
    )


class RevokeForm(forms.Form):
    reasons = forms.CharField(label=_("Grund des Entzugs"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
