from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from catalog.models import EthicsOutcome
from governance.forms import EMPTY_LABEL, ModelForm

from .models import AITier, DataUse, QuestionGroup, QuestionKind, YesNo

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = {"rows": 3}

VALUE_CHOICES = {
    QuestionKind.SCORE: [(str(n), str(n)) for n in range(6)],
    QuestionKind.YES_NO: YesNo.choices,
    QuestionKind.LEVEL: [(str(n), str(n)) for n in range(1, 6)],
    QuestionKind.AI_TIER: AITier.choices,
}


class QuestionnaireForm(forms.Form):
    """The questions of the review's questionnaire version, in their groups. Every
    question is optional while saving a draft; services.answer checks completeness
    when the applicant hands the questionnaire to the board."""

    def __init__(self, *args, questions, answers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            existing = answers.get(question.pk)
            help_text = question.explanation + (f" ({question.source})" if question.source else "")
            if question.kind != QuestionKind.TEXT:
                self.fields[f"{question.code}__value"] = forms.ChoiceField(
                    label=question.text,
                    help_text=help_text,
                    choices=VALUE_CHOICES[question.kind],
                    widget=forms.RadioSelect,
                    required=False,
                    initial=existing.value if existing else None,
                )
            if question.kind in (QuestionKind.TEXT, QuestionKind.SCORE):
                label = (
                    question.text
                    if question.kind == QuestionKind.TEXT
                    else _("Begründung: %(q)s") % {"q": question.text}
                )
                self.fields[f"{question.code}__text"] = forms.CharField(
                    label=label,
                    help_text=help_text if question.kind == QuestionKind.TEXT else "",
                    widget=forms.Textarea(attrs=TEXTAREA),
                    required=False,
                    max_length=5000,
                    initial=existing.text if existing else "",
                )

    def groups(self):
        """[(group label, [bound fields])] in questionnaire order."""
        result = []
        for group in QuestionGroup:
            fields = []
            for question in self.questions:
                if question.group != group:
                    continue
                for suffix in ("value", "text"):
                    name = f"{question.code}__{suffix}"
                    if name in self.fields:
                        fields.append(self[name])
            if fields:
                result.append((group.label, fields))
        return result

    def answers(self) -> dict:
        return {
            q.code: (self.cleaned_data.get(f"{q.code}__value") or "", self.cleaned_data.get(f"{q.code}__text") or "")
            for q in self.questions
        }


class VoteForm(forms.Form):
    prefix = "votum"
    vote = forms.ChoiceField(label=_("Ihr Votum"), choices=EthicsOutcome.choices, widget=forms.RadioSelect,
                             required=False)  # fmt: skip
    reasoning = forms.CharField(label=_("Begründung"), widget=forms.Textarea(attrs=TEXTAREA), required=False,
                                max_length=5000)  # fmt: skip
    minority_opinion = forms.CharField(
        label=_("Sondervotum"),
        help_text=_("Falls Sie überstimmt werden: Ihre abweichende Meinung wird ohne Namen veröffentlicht."),
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        max_length=5000,
    )
    recused = forms.BooleanField(label=_("Ich bin befangen und stimme nicht ab."), required=False)
    conflict_note = forms.CharField(
        label=_("Interessenkonflikt"),
        help_text=_("Nur bei Befangenheit: worin der Konflikt besteht."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class ConditionForm(forms.Form):
    prefix = "auflage"
    text = forms.CharField(label=_("Auflage"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    owner = forms.ModelChoiceField(
        label=_("Verantwortlich"), queryset=get_user_model().objects.none(), empty_label=EMPTY_LABEL
    )
    due_on = forms.DateField(label=_("Frist"), widget=DATE_INPUT)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.get_username()


class CloseForm(forms.Form):
    prefix = "abschluss"
    reasoning = forms.CharField(label=_("Begründung des Ergebnisses"), widget=forms.Textarea(attrs=TEXTAREA),
                                max_length=5000)  # fmt: skip
    public_summary = forms.CharField(
        label=_("Öffentliche Zusammenfassung"),
        help_text=_("Erscheint im Portal. Keine Namen und keine personenbezogenen Daten."),
        widget=forms.Textarea(attrs=TEXTAREA),
        max_length=5000,
    )
    next_review_on = forms.DateField(label=_("Nächste Überprüfung am"), widget=DATE_INPUT)


class CompleteConditionForm(forms.Form):
    evidence = forms.CharField(label=_("Nachweis"), help_text=_("Wie und wo ist die Auflage erfüllt?"),
                               widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)  # fmt: skip


class DataUseForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = DataUse
        fields = [
            "title",
            "purpose",
            "organisation",
            "datasets",
            "algorithmic_system",
            "public_space_sensors",
            "commercial_reuse_by_private_partner",
        ]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 4}), "datasets": forms.CheckboxSelectMultiple}

    def __init__(self, *args, organisations, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["datasets"].queryset = datasets
