"""The steward's form of a table's data dictionary: one row per column of the file."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_VALUES = 200
MAX_VALUE_LENGTH = 200


class ColumnForm(forms.Form):
    # The column the row describes, as the page showed it: a file whose columns changed
    # meanwhile is a conflict, not a description of the wrong column.
    name = forms.CharField(widget=forms.HiddenInput, max_length=300)
    title = forms.CharField(label=gettext_lazy("Titel"), max_length=200, required=False)
    unit = forms.CharField(
        label=gettext_lazy("Einheit"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("z. B. „€“, „km²“, „Anzahl“"),
    )
    description = forms.CharField(
        label=gettext_lazy("Beschreibung"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    values = forms.CharField(
        label=gettext_lazy("Erlaubte Werte"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Ein Wert je Zeile; leer lassen, wenn jeder Wert erlaubt ist."),
    )

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_unit(self):
        return self.cleaned_data["unit"].strip()

    def clean_description(self):
        return self.cleaned_data["description"].strip()

    def clean_values(self):
        values = [line.strip() for line in self.cleaned_data["values"].splitlines() if line.strip()]
        if len(values) > MAX_VALUES:
            raise forms.ValidationError(
                _("Höchstens %(max)s erlaubte Werte; für mehr beschreiben Sie die Werte bitte in der Beschreibung.")
                % {"max": MAX_VALUES}
            )
        too_long = [value for value in values if len(value) > MAX_VALUE_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _("Ein erlaubter Wert hat höchstens %(max)s Zeichen: „%(value)s…“")
                % {"max": MAX_VALUE_LENGTH, "value": too_long[0][:40]}
            )
        seen, twice = set(), []
        for value in values:
            if value in seen and value not in twice:
                twice.append(value)
            seen.add(value)
        if twice:
            raise forms.ValidationError(
                _("Jeder erlaubte Wert nur einmal, bitte; doppelt: %(values)s")
                % {"values": ", ".join(f"„{value}“" for value in twice)}
            )
        return values

    def entry(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "unit": data["unit"], "description": data["description"],
                "values": data["values"]}  # fmt: skip


ColumnFormSet = forms.formset_factory(ColumnForm, extra=0, max_num=2000, validate_max=True)


class DictionaryForm(forms.Form):
    """The version token: the dataset's version the page was made from
    (catalog.services.edit_version), as the dataset's own form sends it."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def initial_rows(columns: list[dict]) -> list[dict]:
    return [{"name": column["name"], "title": column["title"], "unit": column["unit"],
             "description": column["description"], "values": "\n".join(column["values"])}
            for column in columns]  # fmt: skip
