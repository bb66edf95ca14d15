"""The steward's form for a chart of a table (datastore.charts checks it)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import charts
from .models import ChartView


class ChartForm(forms.ModelForm):
    """Title, kind, the columns as a select of the table's columns (with the data
    dictionary's titles), measure, order, number of categories and position. The rules
    (which column fits which measure) are the service's (charts.validate): the view
    shows its refusal at the fields it names (core.forms.add_errors)."""

    class Meta:
        model = ChartView
        fields = ["title", "kind", "category", "measure", "value", "sort", "limit", "position"]
        widgets = {"kind": forms.RadioSelect, "measure": forms.RadioSelect, "sort": forms.RadioSelect}

    def __init__(self, *args, table, described=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        columns = charts.column_choices(table, described)
        self.fields["category"] = forms.ChoiceField(
            label=_("Kategorie"), choices=[("", _("Bitte wählen")), *columns],
            help_text=ChartView._meta.get_field("category").help_text,
        )  # fmt: skip
        self.fields["value"] = forms.ChoiceField(
            label=_("Wertspalte"), required=False, choices=[("", _("Keine (für die Anzahl der Zeilen)")), *columns],
            help_text=_("Nötig für Summe, Durchschnitt, kleinsten und größten Wert; Summe und Durchschnitt nur über "
                        "Zahlenspalten."),
        )  # fmt: skip
        self.fields["limit"].widget.attrs.update({"min": 1, "max": charts.MAX_CATEGORIES})
        self.fields["position"].widget.attrs.update({"min": 0})
        # A chart that no longer fits its table (a new file version) shows what was stored.
        for name in ("category", "value"):
            stored = getattr(self.instance, name)
            if stored and stored not in dict(columns):
                self.fields[name].choices += [(stored, _("%(name)s (nicht mehr in der Tabelle)") % {"name": stored})]
