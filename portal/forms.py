from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset

from . import services
from .models import Comment, DataRequest, DataRequestStatus

EMPTY_LABEL = "– " + str(_("bitte wählen")) + " –"


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS and from assistive technology) that
    bots fill in; a filled honeypot is treated as spam."""

    website = forms.CharField(label=_("Bitte leer lassen"), required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())


class DataRequestForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = DataRequest
        fields = ["title", "description", "email"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class CommentForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["name", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=DataRequestStatus.choices)
    answer = forms.CharField(
        label=_("Öffentliche Antwort"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    dataset = forms.ModelChoiceField(
        label=_("Veröffentlichter Datensatz"),
        queryset=Dataset.objects.none(),
        required=False,
        empty_label=EMPTY_LABEL,
        help_text=_("Nur beim Status „veröffentlicht“."),
    )
    decline_ground = forms.ChoiceField(
        label=_("Ausschlussgrund"), required=False, help_text=_("Nur beim Status „abgelehnt“.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.published().order_by("title")
        self.fields["decline_ground"].choices = [("", EMPTY_LABEL), *services.exclusion_ground_choices()]
