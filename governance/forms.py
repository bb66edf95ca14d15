from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Organisation, Role, RoleAssignment


def formfield_with_https_urls(db_field, **kwargs):
    # A bare host name typed into a URL field means https, as it will from Django 6 on.
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        others = Organisation.objects.exclude(pk=self.instance.pk)
        for name in ("parent", "legal_entity"):
            self.fields[name].queryset = others
            self.fields[name].empty_label = _("keine")


# The browser's date-time picker sends and expects this format.
LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
EMPTY_LABEL = _("Bitte wählen")


class RoleAssignmentForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("last_name", "username"),
        empty_label=EMPTY_LABEL,
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

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("Das Ende muss nach dem Beginn liegen."))
        return data


class DeputyForm(forms.Form):
    deputy = forms.ModelChoiceField(
        label=_("Vertretung durch"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("last_name", "username"),
        empty_label=EMPTY_LABEL,
    )
    valid_from = forms.DateTimeField(label=_("Von"), widget=LOCAL_DATETIME)
    valid_until = forms.DateTimeField(label=_("Bis"), widget=LOCAL_DATETIME)
    note = forms.CharField(label=_("Anmerkung"), max_length=300, required=False)

    def __init__(self, *args, principal: RoleAssignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = self.fields["deputy"].queryset.exclude(pk=principal.user_id)

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("Das Ende muss nach dem Beginn liegen."))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Grund"), max_length=300)
