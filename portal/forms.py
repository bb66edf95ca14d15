from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset
from governance.forms import EMPTY_LABEL
from governance.models import Organisation

from . import services
from .models import Comment, DataRequest, DataRequestStatus


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS and from assistive technology) that
    bots fill in; a filled honeypot is treated as spam."""

    website = forms.CharField(label=_("Bitte leer lassen"), required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())


TITLE_MIN_WORDS = 3
TITLE_MIN_CHARS = 15


def checked_title(title: str) -> str:
    """A title of a word or two ("Radwege") says too little to answer it."""
    if len(title.split()) < TITLE_MIN_WORDS or len(title) < TITLE_MIN_CHARS:
        raise forms.ValidationError(
            _(
                "Bitte beschreiben Sie in mindestens drei Wörtern (%(chars)s Zeichen), welche Daten Sie "
                "sich wünschen, z. B. „Standorte der Stadtbäume mit Baumart“."
            ),
            code="too_short",
            params={"chars": TITLE_MIN_CHARS},
        )
    return title


class DataRequestForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = DataRequest
        fields = ["title", "description", "email"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"title": _("In mindestens drei Wörtern, z. B. „Standorte der Stadtbäume mit Baumart“.")}

    def clean_title(self):
        return checked_title(self.cleaned_data["title"])


class CommentForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["name", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class TriageForm(forms.Form):
    # What goes public: triage removes what the requester typed about themselves (the
    # original stays in the staff history). Left out of a POST, they stay as they are
    # (portal.views.triage_detail).
    title = forms.CharField(label=_("Titel (öffentlich)"), max_length=200)
    description = forms.CharField(
        label=_("Beschreibung (öffentlich)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Entfernen Sie Namen, Anschriften und andere persönliche Angaben, bevor der Wunsch öffentlich wird."
        ),
    )
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
    organisation = forms.ModelChoiceField(
        label=_("Zuständige Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=EMPTY_LABEL,
    )
    assignee = forms.TypedChoiceField(
        label=_("Zuständige Person"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "Nach Organisation gruppiert; nur Personen mit einer Rolle in der gewählten Organisation. Sie erhält "
            "den Wunsch in „Meine Aufgaben“ und eine E-Mail."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.published().order_by("title")
        self.fields["decline_ground"].choices = [("", EMPTY_LABEL), *services.exclusion_ground_choices()]
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["assignee"].choices = [("", EMPTY_LABEL), *services.routing_choices()]
        self.fields["status"].help_text = _(
            "Mit jedem Status außer „offen“ erscheint der Wunsch öffentlich. Prüfen Sie vorher, dass Titel und "
            "Beschreibung keine personenbezogenen Daten enthalten."
        )

    def clean_title(self):
        # A title staff write must say enough; the one the requester wrote stays as it was.
        title = self.cleaned_data["title"]
        return title if title == self.initial.get("title") else checked_title(title)

    def clean_assignee(self):
        pk = self.cleaned_data["assignee"]
        return get_user_model().objects.filter(pk=pk).first() if pk else None
