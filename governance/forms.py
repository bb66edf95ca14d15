import json

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AuditAction, Organisation, PolicyDocument, PolicySection, PolicyVersion, Role, RoleAssignment
from .permissions import city_members, manageable_accounts, possible_parents
from .rules import ALTERNATIVE_FORMS, ConditionError, Effect, ReviewRole, validate_condition

EMPTY_LABEL = _("Bitte wählen")


def formfield_with_https_urls(db_field, **kwargs):
    # A bare host name typed into a URL field means https, as it will from Django 6 on.
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return without_dashes(db_field.formfield(**kwargs))


DASHES = "---------"


def without_dashes(field):
    """Django's empty choice "---------" says nothing; the staff forms say "Bitte wählen"
    (a form's __init__ may still name the empty choice, e.g. "keine")."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DASHES:
            field.empty_label = EMPTY_LABEL
    elif isinstance(field, forms.ChoiceField):
        field.choices = [(value, EMPTY_LABEL if label == DASHES else label) for value, label in field.choices]
    return field


class ModelForm(forms.ModelForm):
    """Base for the project's model forms; their Meta inherits from ModelForm.Meta."""

    class Meta:
        formfield_callback = formfield_with_https_urls


class OrganisationForm(ModelForm):
    # The version the editor started from; a stale one is a conflict, not an overwrite.
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Grund der Änderung"), max_length=300, required=False)

    class Meta(ModelForm.Meta):
        model = Organisation
        fields = [
            "name",
            "org_type",
            "parent",
            "legal_entity",
            "municipality",
            "municipality_key",
            "state",
            "dng_role",
            "data_protection_regime",
            "dpo_contact",
            "contributor_id",
            "website",
            "email",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.fields["parent"].queryset = possible_parents(user, self.instance)
        self.fields["legal_entity"].queryset = Organisation.objects.exclude(pk=self.instance.pk)
        for name in ("parent", "legal_entity"):
            self.fields[name].empty_label = _("keine")


# The browser's date-time picker sends and expects this format.
LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoleAssignmentForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=get_user_model().objects.none(),
        empty_label=EMPTY_LABEL,
        help_text=_("Zur Wahl stehen die Konten, die Sie verwalten."),
    )
    role = forms.ChoiceField(label=_("Rolle"), choices=Role.choices)
    valid_from = forms.DateTimeField(label=_("Gültig ab"), required=False, widget=LOCAL_DATETIME)
    valid_until = forms.DateTimeField(
        label=_("Gültig bis"),
        required=False,
        help_text=_("Leer lassen für eine unbefristete Rolle."),
        widget=LOCAL_DATETIME,
    )
    note = forms.CharField(label=_("Anmerkung"), max_length=300, required=False)

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        # A role goes only to an account the admin manages (its home lies in their city).
        self.fields["user"].queryset = (
            manageable_accounts(manager).filter(is_active=True).order_by("last_name", "username")
        )

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("Das Ende muss nach dem Beginn liegen."))
        return data


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class DeputyForm(forms.Form):
    """Who stands in for the holder of `principal`, and when: people of the same city,
    for a bounded period (the services check both again)."""

    deputy = PersonChoiceField(
        label=_("Vertretung durch"),
        queryset=get_user_model().objects.none(),
        empty_label=EMPTY_LABEL,
        help_text=_("Personen derselben Stadt (mit einer Rolle in ihren Organisationen)."),
    )
    valid_from = forms.DateTimeField(label=_("Von"), widget=LOCAL_DATETIME)
    valid_until = forms.DateTimeField(label=_("Bis"), widget=LOCAL_DATETIME)
    note = forms.CharField(label=_("Anmerkung"), max_length=300, required=False)

    def __init__(self, *args, principal: RoleAssignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = (
            city_members(principal.organisation).exclude(pk=principal.user_id).order_by("last_name", "username")
        )
        self.fields["valid_until"].help_text = _("Höchstens %(days)d Tage nach dem Beginn.") % {
            "days": settings.DEPUTY_MAX_DAYS
        }

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("Das Ende muss nach dem Beginn liegen."))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Grund"), max_length=300)


# ---------------------------------------------------------------------------
# Policies, rules, audit

RADIOS = forms.RadioSelect(attrs={"class": "kern-form-check__radio"})
CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"})
# The browser's date picker sends and expects ISO dates.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AsOfForm(forms.Form):
    stichtag = forms.DateField(
        label=_("Stand am"), required=False, widget=DATE_INPUT, help_text=_("Was an diesem Tag in Kraft war.")
    )


class PolicyDocumentForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = PolicyDocument
        fields = ["title", "slug", "kind", "description", "issuer", "applies_to"]
        widgets = {"applies_to": CHECKBOXES, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, issuers, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        self.fields["issuer"].empty_label = _("Stadtverbund (alle Mitglieder)")
        self.fields["applies_to"].queryset = organisations


class PolicyVersionForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = PolicyVersion
        fields = ["title", "change_note", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "sd-textarea--code"})}


class AdoptForm(forms.Form):
    adopted_by = forms.CharField(
        label=_("Beschlossen von"), max_length=200, help_text=_("Zum Beispiel Gemeinderat, Oberbürgermeister:in.")
    )
    adopted_on = forms.DateField(label=_("Beschlossen am"), widget=DATE_INPUT)
    resolution_number = forms.CharField(
        label=_("Beschluss-Nr."), max_length=60, required=False, help_text=_("Drucksache im Ratsinformationssystem.")
    )


class InForceForm(forms.Form):
    valid_from = forms.DateField(label=_("In Kraft ab"), widget=DATE_INPUT)
    valid_until = forms.DateField(
        label=_("Befristet bis (ausschließlich)"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Leer lassen, wenn die Fassung gilt, bis eine neue sie ablöst."),
    )


class RepealForm(forms.Form):
    on = forms.DateField(
        label=_("Aufgehoben mit Wirkung zum"),
        widget=DATE_INPUT,
        help_text=_("Ab diesem Tag gilt die Fassung nicht mehr."),
    )
    reason = forms.CharField(label=_("Grund"), max_length=300)


class ConditionField(forms.JSONField):
    """A rule condition as JSON; refused with a German message naming the problem."""

    default_error_messages = {
        "invalid": _("Die Bedingung ist kein gültiges JSON: bitte Klammern und Anführungszeichen prüfen.")
    }

    def validate(self, value):
        super().validate(value)
        try:
            validate_condition(value)
        except ConditionError as error:
            raise forms.ValidationError(str(error), code="condition") from None

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class RuleVersionForm(forms.Form):
    code = forms.RegexField(
        label=_("Code der Regel"),
        regex=r"^[A-Z][A-Z0-9-]*$",
        max_length=40,
        help_text=_("Bleibt über alle Versionen gleich, z. B. R-PERSONENBEZUG."),
        error_messages={"invalid": _("Großbuchstaben, Ziffern und Bindestriche, z. B. R-PERSONENBEZUG.")},
    )
    title = forms.CharField(label=_("Titel"), max_length=300)
    section = forms.ModelChoiceField(
        label=_("Zitierter Abschnitt"), queryset=PolicySection.objects.none(), empty_label=EMPTY_LABEL
    )
    condition = ConditionField(
        label=_("Bedingung (JSON)"),
        widget=forms.Textarea(attrs={"rows": 10, "class": "sd-textarea--code"}),
        help_text=_(
            'Ein Vergleich {"field": …, "op": …, "value": …} oder „all“/„any“/„not“ darüber. '
            "Die erlaubten Merkmale und Werte stehen unten auf dieser Seite."
        ),
    )
    effect = forms.ChoiceField(label=_("Wirkung"), choices=Effect.choices, widget=RADIOS)
    ground = forms.ChoiceField(label=_("Ausschlussgrund (bei Sperre)"), required=False)
    alternative = forms.ChoiceField(
        label=_("Vorgeschlagene Alternative (bei Sperre)"),
        required=False,
        choices=[("", EMPTY_LABEL), *[(form.value, form.label) for form in ALTERNATIVE_FORMS]],
    )
    review_roles = forms.MultipleChoiceField(
        label=_("Prüfung durch (bei „Prüfung verlangen“)"),
        required=False,
        choices=ReviewRole.choices,
        widget=CHECKBOXES,
    )
    conditions_text = forms.CharField(
        label=_("Auflagen (bei „Auflagen verlangen“)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rereview_months = forms.IntegerField(
        label=_("Wiedervorlage nach Monaten"), required=False, min_value=1, max_value=120
    )
    explanation = forms.CharField(label=_("Erläuterung"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, policy_version, grounds, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = policy_version.sections.all()
        self.fields["ground"].choices = [
            ("", EMPTY_LABEL),
            *[(term.code, f"{term.code} – {term.label}") for term in grounds],
        ]
        if editing:
            self.fields["code"].disabled = True

    def rule_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "section": data["section"],
            "title": data["title"],
            "condition": data["condition"],
            "effect": data["effect"],
            "ground": data.get("ground") or "",
            "alternative": data.get("alternative") or "",
            "review_roles": list(data.get("review_roles") or []),
            "conditions_text": data.get("conditions_text") or "",
            "rereview_months": data.get("rereview_months"),
            "explanation": data.get("explanation") or "",
        }


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("Person (Name oder Benutzername)"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=Organisation.objects.none(), empty_label=_("alle")
    )
    object_type = forms.ChoiceField(label=_("Objektart"), required=False)
    object_id = forms.CharField(label=_("Objekt-Kennung"), required=False, max_length=64)
    action = forms.ChoiceField(label=_("Aktion"), required=False, choices=[("", _("alle")), *AuditAction.choices])
    since = forms.DateField(label=_("Von"), required=False, widget=DATE_INPUT)
    until = forms.DateField(label=_("Bis"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, organisations, object_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["object_type"].choices = [("", _("alle")), *object_types]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("Das Ende muss nach dem Beginn liegen."))
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Bezeichnung"),
        max_length=100,
        help_text=_("Wofür Sie das Token verwenden, z. B. „Abgleich mit GovData“ oder „Auswertung im Fachamt“."),
    )
    valid_days = forms.TypedChoiceField(
        label=_("Gültigkeit"),
        choices=[("30", _("30 Tage")), ("90", _("90 Tage")), ("365", _("1 Jahr")), ("0", _("unbefristet"))],
        coerce=int,
        initial="90",
        widget=RADIOS,
        help_text=_("Ein befristetes Token ist sicherer: Es endet von selbst, wenn es nicht mehr gebraucht wird."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Bitte geben Sie eine Bezeichnung an."))
        return name


# ---------------------------------------------------------------------------
# A person's own password: changed or reset through the service, which journals it.


class OwnPasswordChangeForm(PasswordChangeForm):
    def save(self, commit=True):
        services.set_account_password(self.user, self.cleaned_data["new_password1"], by=self.user)
        return self.user


class PasswordFromResetLinkForm(SetPasswordForm):
    """The new password from a reset link: the link stands for the person, who is not
    signed in."""

    def save(self, commit=True):
        services.set_account_password(
            self.user, self.cleaned_data["new_password1"], by=None, reason="governance.account.password_reset"
        )
        return self.user
