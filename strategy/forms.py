"""Forms of the staff pages of the strategy. Forms that change a versioned row carry
the version the editor started from: a stale one is a conflict, never an overwrite."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset
from ethics.models import EthicsReview
from governance.forms import DATE_INPUT, EMPTY_LABEL, RADIOS, ModelForm
from governance.models import Organisation, PolicyDocument, PolicyVersion, Rule

from .models import FieldOfAction, Goal, Indicator, Measure, MeasureStatus, Milestone, Strategy

ALL = ""
CHECKBOX = forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"})


class MeasureFilterForm(forms.Form):
    """The overview's filter (GET): implementation status and responsible organisation."""

    status = forms.ChoiceField(
        label=_("Umsetzungsstand"), required=False, choices=[(ALL, _("alle")), *MeasureStatus.choices]
    )
    organisation = forms.ModelChoiceField(
        label=_("Federführung"), required=False, queryset=Organisation.objects.none(), empty_label=_("alle")
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def filter(self, measures):
        if not self.is_bound or not self.is_valid():
            return measures
        if status := self.cleaned_data["status"]:
            measures = measures.filter(status=status)
        if organisation := self.cleaned_data["organisation"]:
            measures = measures.filter(responsible_organisation=organisation)
        return measures

    @property
    def is_active(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class MeasureStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Neuer Umsetzungsstand"), choices=MeasureStatus.choices, widget=RADIOS)
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Wird den Bürgerinnen und Bürgern neben dem Umsetzungsstand gezeigt und im Audit-Journal festgehalten."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, measure: Measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = measure.version
        # The current status is no change; offering it would only produce an error.
        self.fields["status"].choices = [choice for choice in MeasureStatus.choices if choice[0] != measure.status]


# The plan of a measure: everything but its status (which changes only with a reason).
MEASURE_PLAN_FIELDS = [
    "goal",
    "code",
    "title",
    "description",
    "start_date",
    "end_date",
    "budget_planned",
    "budget_spent",
    "responsible_organisation",
    "responsible_person",
    "partner_organisations",
    "external_partners",
    "policy_documents",
    "rules",
    "datasets",
    "ethics_reviews",
    "is_public",
]


class VersionedModelForm(ModelForm):
    """A model form of a versioned row: editing an existing row carries the version the
    editor started from (hidden), and `changes()` gives only what they changed, for the
    service's update function."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
        else:
            del self.fields["version"]

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.Meta.fields}


class MeasureForm(VersionedModelForm):
    class Meta(ModelForm.Meta):
        model = Measure
        fields = MEASURE_PLAN_FIELDS
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 5}),
            "partner_organisations": forms.SelectMultiple(attrs={"size": 6}),
            "policy_documents": forms.SelectMultiple(attrs={"size": 6}),
            "rules": forms.SelectMultiple(attrs={"size": 6}),
            "datasets": forms.SelectMultiple(attrs={"size": 8}),
            "ethics_reviews": forms.SelectMultiple(attrs={"size": 4}),
            "is_public": CHECKBOX,
        }

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = Goal.objects.filter(field_of_action__strategy=strategy).select_related(
            "field_of_action"
        )
        self.fields["goal"].empty_label = EMPTY_LABEL
        self.fields["responsible_organisation"].empty_label = EMPTY_LABEL
        self.fields["responsible_person"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        )
        self.fields["responsible_person"].empty_label = _("niemand")
        self.fields["partner_organisations"].queryset = Organisation.objects.order_by("name")
        self.fields["policy_documents"].queryset = PolicyDocument.objects.order_by("title")
        self.fields["rules"].queryset = Rule.objects.order_by("code")
        self.fields["datasets"].queryset = Dataset.objects.order_by("title")
        self.fields["ethics_reviews"].queryset = EthicsReview.objects.select_related("dataset", "data_use")
        for name in ("partner_organisations", "policy_documents", "rules", "datasets", "ethics_reviews"):
            self.fields[name].help_text = _("Mehrfachauswahl mit Strg- bzw. Cmd-Taste.")
        if self.instance.pk is not None:
            # The code names the measure in URLs, citizens' links and the journal.
            del self.fields["code"]


class MilestoneForm(VersionedModelForm):
    class Meta(ModelForm.Meta):
        model = Milestone
        fields = ["title", "due_date", "position"]
        widgets = {"due_date": DATE_INPUT}


class MilestoneCompleteForm(forms.Form):
    done_date = forms.DateField(label=_("Erreicht am"), widget=DATE_INPUT)
    evidence = forms.CharField(
        label=_("Nachweis"),
        max_length=1000,
        help_text=_("Z. B. Beschluss-Nr., Adresse eines Dokuments."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"done_date": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_done_date(self):
        done_date = self.cleaned_data["done_date"]
        if done_date > timezone.localdate():
            raise forms.ValidationError(_("Ein Meilenstein kann nicht in der Zukunft erreicht worden sein."))
        return done_date


class IndicatorValueForm(forms.Form):
    date = forms.DateField(label=_("Stichtag"), widget=DATE_INPUT)
    value = forms.DecimalField(label=_("Wert"), max_digits=14, decimal_places=2)
    source = forms.CharField(label=_("Quelle"), max_length=300)
    note = forms.CharField(label=_("Anmerkung"), max_length=500, required=False)

    def __init__(self, *args, indicator: Indicator, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate(), "source": indicator.source})
        super().__init__(*args, **kwargs)


class BudgetSpentForm(forms.Form):
    """What the responsible person reports as spent so far. More than planned is
    allowed (it happens, and the overrun must be visible), but shown as a warning."""

    budget_spent = forms.DecimalField(
        label=_("Bisher verausgabt (€)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages={"min_value": _("Der verausgabte Betrag kann nicht negativ sein.")},
        help_text=_("Der Gesamtbetrag bis heute, nicht nur der neu hinzugekommene Teil."),
    )
    note = forms.CharField(
        label=_("Anmerkung"),
        # The change reason keeps 100 characters, „Verausgabtes Budget – “ and its code included.
        max_length=50,
        required=False,
        help_text=_("Z. B. „Rechnung Q3 bezahlt“. Wird als Grund im Versionsverlauf festgehalten."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, measure: Measure, **kwargs):
        kwargs.setdefault("initial", {"budget_spent": measure.budget_spent, "version": measure.version})
        super().__init__(*args, **kwargs)


class StrategyForm(VersionedModelForm):
    """The strategy itself. Its short name (in every address) and its organisation
    (which decides who maintains it) are not editable here."""

    class Meta(ModelForm.Meta):
        model = Strategy
        fields = ["title", "summary", "period_start", "period_end", "is_public", "policy_versions"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "period_start": DATE_INPUT,
            "period_end": DATE_INPUT,
            "is_public": CHECKBOX,
            "policy_versions": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_versions"].queryset = PolicyVersion.objects.select_related("document").order_by(
            "document__title", "-number"
        )
        self.fields["policy_versions"].help_text = _(
            "Die Fassungen der Richtliniendokumente, mit denen die Strategie beschlossen wurde. "
            "Mehrfachauswahl mit Strg- bzw. Cmd-Taste."
        )


class FieldOfActionForm(VersionedModelForm):
    class Meta(ModelForm.Meta):
        model = FieldOfAction
        fields = ["code", "title", "description", "position", "is_public"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}), "is_public": CHECKBOX}


class GoalForm(VersionedModelForm):
    class Meta(ModelForm.Meta):
        model = Goal
        fields = ["field_of_action", "code", "title", "description", "position", "is_public"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "title": forms.Textarea(attrs={"rows": 2}),
            "is_public": CHECKBOX,
        }

    def __init__(self, *args, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A goal stays in its field of action (its measures and indicators hang on it).
            del self.fields["field_of_action"]
        else:
            self.fields["field_of_action"].queryset = FieldOfAction.objects.filter(strategy=strategy)
            self.fields["field_of_action"].empty_label = EMPTY_LABEL


class IndicatorForm(VersionedModelForm):
    class Meta(ModelForm.Meta):
        model = Indicator
        fields = [
            "goal",
            "code",
            "title",
            "description",
            "unit",
            "metric",
            "higher_is_better",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "source",
            "position",
            "is_public",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "baseline_date": DATE_INPUT,
            "target_date": DATE_INPUT,
            "higher_is_better": CHECKBOX,
            "is_public": CHECKBOX,
        }

    def __init__(self, *args, strategy, metric_choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An indicator stays with its goal (its history of values measures that goal).
            del self.fields["goal"]
        else:
            self.fields["goal"].queryset = Goal.objects.filter(field_of_action__strategy=strategy).select_related(
                "field_of_action"
            )
            self.fields["goal"].empty_label = EMPTY_LABEL
        # A computed indicator names one of the system's metrics; none means values by hand.
        self.fields["metric"] = forms.ChoiceField(
            label=self.fields["metric"].label,
            help_text=self.fields["metric"].help_text,
            required=False,
            choices=metric_choices,
        )
