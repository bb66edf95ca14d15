from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import EMPTY_LABEL

from .service import validate_file

ACCEPTED_TYPES = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class InventoryImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        empty_label=EMPTY_LABEL,
        help_text=_("Die Datensätze werden unter dieser Organisation als Herausgeber angelegt."),
    )
    file = forms.FileField(
        label=_("Datei mit dem Bestandsverzeichnis"),
        error_messages={"required": _("Bitte wählen Sie eine CSV- oder XLSX-Datei aus.")},
        widget=forms.FileInput(attrs={"accept": ACCEPTED_TYPES}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations.order_by("name")
        if len(self.fields["organisation"].queryset) == 1:
            self.fields["organisation"].empty_label = None
        else:
            self.fields["organisation"].empty_label = _("Bitte wählen")
        self.fields["file"].help_text = _(
            "CSV (Trennzeichen Semikolon oder Komma, UTF-8 oder Windows-1252) oder Excel (XLSX), "
            "höchstens %(size)s MB. Eine Zeile je Datensatz, in der ersten Zeile die Spaltennamen."
        ) % {"size": round(settings.MAX_UPLOAD_SIZE / 2**20)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            validate_file(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return upload
