"""Forms of the catalog UI. They collect and check input; catalog.services does the writes."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from governance.forms import EMPTY_LABEL, ModelForm
from governance.models import Role, RoleAssignment, VocabularyTerm
from governance.permissions import organisations_with_role
from governance.vocabularies import PublicationForm, Vocabulary

from . import permissions, workflow
from .models import (
    CHANGEABLE_FIELDS,
    Classification,
    Confidentiality,
    Dataset,
    DatasetState,
    DistributionKind,
    PersonalDataStatus,
    ProtectionNeed,
    SpatialGranularity,
    SpecialCategory,
    TemporalGranularity,
    Theme,
)
from .services import normalise_keywords
from .vocabularies import (
    FILE_TYPE_CHOICES,
    LICENCE_CHOICES,
    LICENCES_BY_CODE,
    RECOMMENDED_LICENCES,
    DataTheme,
    LegalBasis,
)

# The browser's date picker sends and expects ISO dates.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HintedChoicesMixin:
    """Radio buttons or checkboxes that explain every option in plain words. The template
    reads option.data.hint; the input points at it with aria-describedby."""

    def __init__(self, *args, hints=None, **kwargs):
        self.hints = hints or {}
        super().__init__(*args, **kwargs)

    def id_for_label(self, id_, index=None):
        # The error summary links to a group through its first option, as GOV.UK does.
        return super().id_for_label(id_, "0" if index is None else index)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        hint = self.hints.get(value)
        if hint and option["attrs"].get("id"):
            option["hint"] = hint
            option["hint_id"] = f"{option['attrs']['id']}_hint"
            option["attrs"]["aria-describedby"] = option["hint_id"]
        return option


class RadioSelect(HintedChoicesMixin, forms.RadioSelect):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs.setdefault("class", "kern-form-check__radio")


class CheckboxSelectMultiple(HintedChoicesMixin, forms.CheckboxSelectMultiple):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs.setdefault("class", "kern-form-check__checkbox")


def checkbox_input():
    return forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"})


def licence_choices():
    """GovData's licences in groups, so that everyone sees at once which are open."""
    recommended = [(code, label) for code, label in LICENCE_CHOICES if code in RECOMMENDED_LICENCES]
    others = [(code, label) for code, label in LICENCE_CHOICES if code not in RECOMMENDED_LICENCES]
    return [
        (_("Empfohlen (offene Lizenzen)"), recommended),
        (_("Weitere offene Lizenzen"), [choice for choice in others if LICENCES_BY_CODE[choice[0]].is_open]),
        (_("Nicht offene Lizenzen"), [choice for choice in others if not LICENCES_BY_CODE[choice[0]].is_open]),
    ]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


def active_people():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


def role_holders(role: Role, organisations):
    """The active people who hold `role` in one of the organisations or one above it (a
    role covers the units below), deputies included."""
    ids = set()
    for organisation in organisations:
        current, seen = organisation, set()
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            ids.add(current.pk)
            current = current.parent
    assignments = RoleAssignment.objects.active().granted().filter(role=role, organisation__in=ids)
    return active_people().filter(pk__in=assignments.values("user"))


def slug_from_title(title: str) -> str:
    """The Kurzname a title suggests: German umlauts and ß spelt out, as static/js/slug.js does."""
    spelt = title.translate(UMLAUTS)
    return slugify(spelt)[:100].strip("-")


UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def reading_organisations(user):
    """The organisations whose datasets the user may read (the list's organisation filter)."""
    return organisations_with_role(user, *permissions.READING_ROLES)


# ---- Dataset list -------------------------------------------------------------

NOT_CLASSIFIED = "ohne"
ALL = _("alle")


class DatasetFilterForm(forms.Form):
    """The filters of the dataset list; GET parameters with German names."""

    q = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=200,
        help_text=_("Sucht in Titel, Beschreibung und Schlagwörtern."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=ALL, to_field_name="slug"
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", ALL), *DatasetState.choices])
    vertraulichkeit = forms.ChoiceField(
        label=_("Vertraulichkeit"),
        required=False,
        choices=[("", ALL), *Confidentiality.choices, (NOT_CLASSIFIED, _("nicht klassifiziert"))],
    )
    personenbezug = forms.ChoiceField(
        label=_("Personenbezug"),
        required=False,
        choices=[("", ALL), *PersonalDataStatus.choices, (NOT_CLASSIFIED, _("nicht klassifiziert"))],
    )
    thema = forms.ChoiceField(label=_("Thema"), required=False)
    sortierung = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=[("titel", _("nach Titel")), ("geaendert", _("zuletzt geändert zuerst"))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = reading_organisations(user).order_by("name")
        self.fields["thema"].choices = [("", ALL), *sorted(DataTheme.choices, key=lambda choice: str(choice[1]))]

    def filter(self, datasets):
        """The datasets that match the valid filters, sorted as asked."""
        data = {}
        if self.is_bound:
            # cleaned_data keeps the valid values only: an invalid filter is left out, the others apply.
            self.is_valid()
            data = self.cleaned_data
        if query := " ".join((data.get("q") or "").split()):
            keyword_hits = Dataset.keywords.through.objects.filter(keyword__name__icontains=query)
            datasets = datasets.filter(
                Q(title__icontains=query)
                | Q(description__icontains=query)
                | Q(pk__in=keyword_hits.values("dataset_id"))
            )
        if data.get("organisation"):
            datasets = datasets.filter(publisher=data["organisation"])
        if data.get("status"):
            datasets = datasets.filter(state=data["status"])
        for name, field in (("vertraulichkeit", "confidentiality"), ("personenbezug", "personal_data")):
            if data.get(name) == NOT_CLASSIFIED:
                datasets = datasets.filter(current_classification__isnull=True)
            elif data.get(name):
                datasets = datasets.filter(**{f"current_classification__{field}": int(data[name])})
        if data.get("thema"):
            datasets = datasets.filter(themes__code=data["thema"])
        if data.get("sortierung") == "geaendert":
            return datasets.order_by("-modified", "pk")
        return datasets.order_by("title", "pk")

    def is_filtered(self) -> bool:
        """Whether the list shows only some datasets."""
        return self.is_bound and any(self.data.get(name) for name in self.fields if name != "sortierung")

    def has_filters(self) -> bool:
        """Whether a filter beyond the search (or a sort order) was chosen: the filters stay open."""
        return self.is_bound and any(self.data.get(name) for name in self.fields if name != "q")


# ---- Dataset metadata ---------------------------------------------------------


class DatasetForm(ModelForm):
    """The metadata of a dataset (DCAT-AP.de). With an existing dataset it also carries
    the version the editor started from and an optional reason for the change."""

    keywords = forms.CharField(
        label=_("Schlagwörter"),
        required=False,
        max_length=2000,
        help_text=_("Durch Kommas getrennt, z. B. „Bäume, Grünflächen, Stadtklima“."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themen"),
        queryset=Theme.objects.all(),
        to_field_name="code",
        required=False,
        widget=CheckboxSelectMultiple,
        help_text=_("Die Themen der EU, unter denen der Datensatz in Portalen gefunden wird."),
    )
    owner = PersonChoiceField(
        label=_("Dateneigentümer:in"),
        queryset=active_people().none(),
        required=False,
        empty_label=_("noch nicht festgelegt"),
        help_text=_("Fachlich verantwortlich; entscheidet über Nutzung und Freigabe."),
        error_messages={
            "invalid_choice": _(
                "Bitte wählen Sie eine Person, die für die herausgebende Organisation Dateneigentümer:in ist."
            )
        },
    )
    steward = PersonChoiceField(
        label=_("Datenverantwortliche:r"),
        queryset=active_people().none(),
        required=False,
        empty_label=_("noch nicht festgelegt"),
        help_text=_("Pflegt die Metadaten und die Klassifizierung."),
        error_messages={
            "invalid_choice": _(
                "Bitte wählen Sie eine Person, die für die herausgebende Organisation Datenverantwortliche:r ist."
            )
        },
    )

    class Meta(ModelForm.Meta):
        model = Dataset
        # The fields a pending change may propose, with the name (fixed once created) after the title.
        fields = ["title", "name", *CHANGEABLE_FIELDS[1:]]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "temporal_start": DATE_INPUT,
            "temporal_end": DATE_INPUT,
            "spatial_resolution_m": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        help_texts = {
            "contact_name": _("Eine Stelle, kein Name einer Person, z. B. „Umweltamt, Sachgebiet Stadtgrün“."),
            "contact_email": _("Ein Funktionspostfach, das auch bei Abwesenheit gelesen wird."),
            "spatial_label": _("Das Gebiet, das die Daten abdecken, z. B. „Lindenau, Stadtgebiet“."),
            "spatial_resolution_m": _("Kleinster Abstand, der in den Daten unterschieden wird, z. B. 10."),
            "landing_page": _("Eine Seite mit weiteren Informationen zum Datensatz."),
        }

    FIELDSETS = [
        (_("Beschreibung"), ["title", "name", "description", "keywords", "themes"]),
        (_("Zuständigkeit"), ["publisher", "owner", "steward", "contact_name", "contact_email", "contact_url"]),
        (_("Lizenz"), ["licence", "attribution_text"]),
        (
            _("Raum und Zeit"),
            [
                "geocoding_level",
                "municipality_key",
                "spatial_label",
                "spatial_resolution_m",
                "temporal_start",
                "temporal_end",
                "update_frequency",
            ],
        ),
        (_("Weitere Angaben"), ["language", "hvd_category", "landing_page"]),
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        publisher = self.fields["publisher"]
        publisher.queryset = permissions.editing_organisations(user).order_by("name")
        publisher.empty_label = EMPTY_LABEL
        publisher.help_text = _("Die Organisation, die den Datensatz bereitstellt und verantwortet.")
        self.fields["licence"].choices = licence_choices()
        self.fields["licence"].help_text = _(
            "Offene Lizenzen erlauben jede Nutzung, auch kommerziell. Hochwertige Datensätze (HVD) "
            "brauchen eine offene Lizenz."
        )
        self.fields["hvd_category"].choices = [
            ("", _("kein hochwertiger Datensatz")),
            *self.fields["hvd_category"].choices[1:],
        ]
        self._limit_people(publisher.queryset)
        fieldsets = list(self.FIELDSETS)
        if editing:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = _("Der Kurzname ist Teil der Adresse und bleibt nach dem Anlegen gleich.")
            self.fields["keywords"].initial = ", ".join(keyword.name for keyword in self.instance.keywords.all())
            self.fields["themes"].initial = list(self.instance.themes.all())
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=self.instance.version)
            self.fields["reason"] = forms.CharField(
                label=_("Grund der Änderung"),
                max_length=300,
                required=False,
                help_text=_("Erscheint im Versionsverlauf, z. B. „Kontakt nach Umzug des Amts aktualisiert“."),
            )
            fieldsets.append((_("Änderung"), ["reason"]))
        else:
            if publisher.queryset.count() == 1:
                publisher.initial = publisher.queryset.get()
            name = self.fields["name"]
            name.required = False
            name.widget.attrs.update({"data-slug-from": "id_title"})
            name.help_text = _(
                "Teil der Adresse, z. B. „baumkataster“: Kleinbuchstaben, Ziffern und Bindestriche. Wird aus dem "
                "Titel vorgeschlagen und kann geändert werden; bleibt nach dem Anlegen gleich."
            )
        self.fieldset_names = fieldsets
        self.order_fields([name for _legend, names in fieldsets for name in names])

    def _limit_people(self, publishers):
        """Owner and steward come from the people with that role for the publisher: the
        one chosen (posted or stored), else any the editor may choose from. A posted id
        outside that set is the field's German invalid_choice error."""
        chosen = self.instance.publisher if self.instance.pk else None
        posted = str(self.data.get("publisher") or "") if self.is_bound else ""
        if posted.isdigit():
            chosen = publishers.filter(pk=posted).first()
        organisations = [chosen] if chosen is not None else list(publishers)
        for name, role in (("owner", Role.OWNER), ("steward", Role.STEWARD)):
            people = role_holders(role, organisations)
            if current := getattr(self.instance, f"{name}_id", None):
                # Someone who lost the role stays chosen until the editor picks another.
                people = people | active_people().filter(pk=current)
            self.fields[name].queryset = people.distinct()

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldset_names]

    def clean_name(self):
        name = self.cleaned_data.get("name")
        if not name and not self.instance.pk:
            name = slug_from_title(self.cleaned_data.get("title") or "")
        return name

    def clean_keywords(self):
        return normalise_keywords(self.cleaned_data["keywords"].split(","))

    def model_fields(self) -> dict:
        """The cleaned values of the dataset's own fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


# ---- Classification -----------------------------------------------------------

PERSONAL_DATA_HINTS = {
    PersonalDataStatus.NONE: _(
        "Die Daten beschreiben Dinge, Orte oder Vorgänge, keine Menschen – z. B. Baumstandorte, Messwerte, "
        "Haushaltszahlen."
    ),
    PersonalDataStatus.ANONYMISED: _(
        "Ursprünglich personenbezogen, aber so verändert, dass niemand mehr einzelne Personen erkennen kann – "
        "auch nicht mit Zusatzwissen. Dann gilt die DSGVO nicht mehr."
    ),
    PersonalDataStatus.AGGREGATED: _(
        "Zusammengefasste Zahlen, z. B. Einwohnende je Stadtteil, bei denen kleine Fallzahlen unterdrückt oder "
        "vergröbert wurden, sodass niemand herausgerechnet werden kann."
    ),
    PersonalDataStatus.PSEUDONYMISED: _(
        "Namen oder Kennungen sind durch Codes ersetzt, lassen sich aber mit einer Zuordnungstabelle wieder "
        "Personen zuordnen. Pseudonymisierte Daten sind weiterhin personenbezogene Daten im Sinne der DSGVO."
    ),
    PersonalDataStatus.PERSONAL: _(
        "Die Daten beziehen sich auf bestimmte oder bestimmbare Menschen, z. B. über Namen, Adressen, "
        "Kfz-Kennzeichen oder Fotos."
    ),
    PersonalDataStatus.SPECIAL: _(
        "Personenbezogene Daten, die die DSGVO besonders schützt: z. B. Gesundheit, Religion, ethnische Herkunft "
        "oder Straftaten. Bitte darunter die Kategorien ankreuzen."
    ),
}
CONFIDENTIALITY_HINTS = {
    Confidentiality.OEFFENTLICH: _(
        "Jede Person darf die Daten sehen; sie kommen für eine Veröffentlichung als Open Data in Frage. "
        "Nicht möglich bei personenbezogenen oder pseudonymisierten Daten."
    ),
    Confidentiality.INTERN: _("Nur für Beschäftigte des Stadtverbunds; ein Bekanntwerden hätte geringe Folgen."),
    Confidentiality.VERTRAULICH: _(
        "Nur für Personen, die die Daten dienstlich brauchen; ein Bekanntwerden könnte Menschen oder der "
        "Verwaltung schaden. Mindeststufe für Verschlusssachen (VS-NfD)."
    ),
    Confidentiality.STRENG_VERTRAULICH: _(
        "Nur für ausdrücklich berechtigte Personen; ein Bekanntwerden hätte schwere Folgen."
    ),
}
# Schutzbedarfskategorien nach BSI-Standard 200-2, Kapitel 8.2.1.
PROTECTION_HINTS = {
    ProtectionNeed.NORMAL: _("Die Schadensauswirkungen sind begrenzt und überschaubar."),
    ProtectionNeed.HOCH: _("Die Schadensauswirkungen können beträchtlich sein."),
    ProtectionNeed.SEHR_HOCH: _(
        "Die Schadensauswirkungen können ein existenziell bedrohliches, katastrophales Ausmaß erreichen."
    ),
}
SPATIAL_HINTS = {
    SpatialGranularity.POINT: _(
        "Einzelne Adressen, Flurstücke oder Koordinaten. Zusammen mit Personenbezug besonders heikel."
    ),
    SpatialGranularity.BLOCK: _(
        "Zusammengefasst je Baublock: oft nur wenige Haushalte, Rückschlüsse auf Personen sind möglich."
    ),
    SpatialGranularity.DISTRICT: _("Zusammengefasst je Stadtteil, Bezirk oder Wahlbezirk."),
    SpatialGranularity.MUNICIPALITY: _("Eine Angabe für die ganze Gemeinde."),
    SpatialGranularity.NONE: _("Die Daten haben keinen Ortsbezug."),
}
TEMPORAL_HINTS = {
    TemporalGranularity.EVENT: _("Jeder Vorgang mit seinem Zeitpunkt, z. B. der Zeitstempel einer Messung."),
    TemporalGranularity.DAY: _("Zusammengefasst je Tag."),
    TemporalGranularity.MONTH: _("Zusammengefasst je Monat."),
    TemporalGranularity.YEAR: _("Zusammengefasst je Jahr."),
    TemporalGranularity.NONE: _("Die Daten haben keinen Zeitbezug."),
}


def radio_field(label, choices, hints, *, coerce=int, help_text=""):
    return forms.TypedChoiceField(
        label=label, choices=choices, coerce=coerce, widget=RadioSelect(hints=hints), help_text=help_text
    )


def flag_field(label, help_text):
    return forms.BooleanField(label=label, required=False, help_text=help_text, widget=checkbox_input())


class ClassificationForm(ModelForm):
    """The guided classification: six steps, every option explained. The consistency
    rules live in Classification.clean(); the form shows their errors at the fields."""

    # The version the classifier started from: a newer one meanwhile is a conflict.
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    personal_data = radio_field(
        _("Enthalten die Daten Angaben über Menschen?"), PersonalDataStatus.choices, PERSONAL_DATA_HINTS
    )
    special_categories = forms.MultipleChoiceField(
        label=_("Besondere Kategorien (Art. 9 und 10 DSGVO)"),
        required=False,
        choices=SpecialCategory.choices,
        widget=CheckboxSelectMultiple,
        help_text=_("Nur ankreuzen, wenn oben „besondere Kategorien“ gewählt ist; dann mindestens eine."),
    )
    vulnerable_subjects = flag_field(
        _("Die Daten betreffen besonders schutzbedürftige Menschen"),
        _("Z. B. Kinder, Pflegebedürftige, Geflüchtete oder Menschen in Notlagen. Nur bei personenbezogenen Daten."),
    )
    confidentiality = radio_field(_("Wer darf die Daten sehen?"), Confidentiality.choices, CONFIDENTIALITY_HINTS)
    vs_nfd = flag_field(
        _("Die Daten sind als Verschlusssache – Nur für den Dienstgebrauch (VS-NfD) eingestuft"),
        _("Nur bei förmlicher Einstufung nach der Verschlusssachenanweisung. VS-NfD ist mindestens „vertraulich“."),
    )
    protection_confidentiality = radio_field(
        _("Vertraulichkeit: Welcher Schaden entsteht, wenn Unbefugte die Daten sehen?"),
        ProtectionNeed.choices,
        PROTECTION_HINTS,
    )
    protection_integrity = radio_field(
        _("Integrität: Welcher Schaden entsteht, wenn die Daten unbemerkt verfälscht werden?"),
        ProtectionNeed.choices,
        PROTECTION_HINTS,
    )
    protection_availability = radio_field(
        _("Verfügbarkeit: Welcher Schaden entsteht, wenn die Daten eine Zeit lang fehlen?"),
        ProtectionNeed.choices,
        PROTECTION_HINTS,
    )
    trade_secrets = flag_field(
        _("Enthält Betriebs- und Geschäftsgeheimnisse"),
        _("Z. B. Kalkulationen, Vertragsdetails oder technische Angaben von Unternehmen."),
    )
    third_party_rights = flag_field(
        _("Rechte Dritter sind betroffen"),
        _("Z. B. Urheber- oder Datenbankrechte eines Dienstleisters oder Nutzungsbedingungen zugelieferter Daten."),
    )
    critical_infrastructure = flag_field(
        _("Betrifft Kritische Infrastruktur (KRITIS)"),
        _("Z. B. Lage und Zustand von Wasser-, Strom- oder Gasnetzen, deren Bekanntwerden Angriffe erleichtert."),
    )
    statistical_confidentiality = flag_field(
        _("Unterliegt dem Statistikgeheimnis"),
        _("Einzelangaben aus amtlichen Statistiken dürfen nur geheimhaltungsgeprüft weitergegeben werden."),
    )
    spatial_granularity = radio_field(
        _("Wie genau ist der Ortsbezug?"), SpatialGranularity.choices, SPATIAL_HINTS, coerce=str
    )
    temporal_granularity = radio_field(
        _("Wie genau ist der Zeitbezug?"), TemporalGranularity.choices, TEMPORAL_HINTS, coerce=str
    )
    legal_bases = forms.MultipleChoiceField(
        label=_("Rechtsgrundlagen"),
        required=False,
        choices=LegalBasis.choices,
        widget=CheckboxSelectMultiple,
        help_text=_(
            "Bei personenbezogenen Daten mindestens eine nach Art. 6 DSGVO, bei besonderen Kategorien zusätzlich "
            "eine nach Art. 9 oder 10. Öffentliche Stellen stützen sich meist auf Art. 6 Abs. 1 lit. c oder e."
        ),
    )

    class Meta(ModelForm.Meta):
        model = Classification
        fields = [
            "personal_data",
            "special_categories",
            "vulnerable_subjects",
            "confidentiality",
            "vs_nfd",
            "protection_confidentiality",
            "protection_integrity",
            "protection_availability",
            "trade_secrets",
            "third_party_rights",
            "critical_infrastructure",
            "statistical_confidentiality",
            "spatial_granularity",
            "temporal_granularity",
            "legal_bases",
            "justification",
        ]
        widgets = {"justification": forms.Textarea(attrs={"rows": 5})}
        labels = {"justification": _("Begründung der Einstufung")}
        help_texts = {
            "justification": _(
                "Warum diese Einstufung? Nennen Sie z. B. Rechtsvorschriften, die Abstimmung mit der oder dem "
                "Datenschutzbeauftragten oder Besonderheiten der Daten."
            )
        }

    def legal_basis_groups(self):
        """The legal bases in three groups: Art. 6, Art. 9 or 10 for special categories, and
        the federal and state laws that carry them."""
        options = list(self["legal_bases"])

        def starting(*prefixes):
            return [option for option in options if option.data["value"].startswith(prefixes)]

        return [
            (_("Art. 6 DSGVO – für alle personenbezogenen Daten"), starting("GDPR_6")),
            (_("Art. 9 und 10 DSGVO – zusätzlich bei besonderen Kategorien"), starting("GDPR_9", "GDPR_10")),
            (
                _("Bundes- und Landesrecht – ergänzend die Vorschrift, auf der die Verarbeitung beruht"),
                starting("DE_", "LAND_"),
            ),
        ]

    def model_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def __init__(self, *args, based_on: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].initial = based_on


# ---- Distributions ------------------------------------------------------------


class DistributionForm(forms.Form):
    """A new distribution: an uploaded file or a link, never both."""

    title = forms.CharField(label=_("Titel"), max_length=300, help_text=_("Z. B. „Baumkataster 2025 als CSV“."))
    description = forms.CharField(label=_("Beschreibung"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(
        label=_("Art"),
        choices=DistributionKind.choices,
        initial=DistributionKind.DOWNLOAD,
        widget=RadioSelect(
            hints={
                DistributionKind.DOWNLOAD: _("Eine Datei, die man herunterlädt."),
                DistributionKind.API: _("Eine Schnittstelle, die Programme abfragen."),
                DistributionKind.SERVICE: _("Ein Geodienst wie WMS oder WFS."),
            }
        ),
    )
    file = forms.FileField(
        label=_("Datei"),
        required=False,
        help_text=_("CSV, XLSX, ODS, JSON, GeoJSON, XML, TXT, PDF, ZIP, PNG oder JPEG; das Format wird erkannt."),
    )
    access_url = forms.URLField(
        label=_("Externe Adresse"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        help_text=_("Statt einer Datei: die Adresse des Downloads, der API oder des Dienstes."),
    )
    format = forms.ChoiceField(
        label=_("Format der verlinkten Daten"),
        required=False,
        choices=[("", EMPTY_LABEL), *FILE_TYPE_CHOICES],
        help_text=_("Nur bei einer externen Adresse nötig."),
    )
    licence = forms.ChoiceField(label=_("Lizenz"), required=False)

    def __init__(self, *args, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["licence"].choices = [
            ("", _("wie der Datensatz: %(licence)s") % {"licence": dataset.licence_info.label}),
            *licence_choices(),
        ]
        self.fields["licence"].help_text = _("Nur ändern, wenn diese Distribution anders lizenziert ist.")
        if dataset.state in (DatasetState.APPROVED, DatasetState.PUBLISHED):
            # On an approved or published dataset a new file can take the place of a current one
            # (same address for users once the change is approved).
            self.fields["replaces"] = forms.ModelChoiceField(
                label=_("Ersetzt"),
                queryset=dataset.distributions.current().order_by("created", "pk"),
                required=False,
                empty_label=_("nichts – eine zusätzliche Distribution"),
                help_text=_("Die neue Fassung tritt nach der Freigabe an die Stelle der gewählten Distribution."),
            )

    def clean(self):
        data = super().clean()
        upload, url = data.get("file"), data.get("access_url")
        if upload and url:
            self.add_error(
                "access_url", _("Bitte entweder eine Datei hochladen oder eine Adresse angeben, nicht beides.")
            )
        elif not upload and not url and "access_url" not in self.errors:
            self.add_error("file", _("Bitte laden Sie eine Datei hoch oder geben Sie eine externe Adresse an."))
        elif url and not data.get("format"):
            self.add_error("format", _("Bitte wählen Sie das Format der verlinkten Daten."))
        return data


# ---- Version comparison -------------------------------------------------------


class VersionCompareForm(forms.Form):
    """Two versions to compare, by number (GET)."""

    def __init__(self, *args, numbers, prefix, labels, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        choices = [(number, _("Version %(number)s") % {"number": number}) for number in numbers]
        self.fields["von"] = forms.TypedChoiceField(label=labels[0], choices=choices, coerce=int)
        self.fields["bis"] = forms.TypedChoiceField(label=labels[1], choices=choices, coerce=int)
        if numbers:
            self.fields["von"].initial = numbers[-2] if len(numbers) > 1 else numbers[0]
            self.fields["bis"].initial = numbers[-1]

    def versions(self) -> tuple[int, int] | None:
        """The older and the newer version asked for, or None if nothing (valid) was asked."""
        if not self.is_bound or not self.is_valid():
            return None
        older, newer = sorted((self.cleaned_data["von"], self.cleaned_data["bis"]))
        return older, newer


class TransitionForm(forms.Form):
    """The input of one workflow transition (catalog.workflow.perform). Only the fields
    its declaration names are kept (catalog.workflow.TRANSITIONS, as the API lists them);
    the workflow checks what is mandatory."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[
            (PublicationForm.CLOSED.value, PublicationForm.CLOSED.label),
            (PublicationForm.INTERNAL.value, PublicationForm.INTERNAL.label),
        ],
        required=False,
    )
    grounds = forms.MultipleChoiceField(
        label=_("Ausschlussgründe"), choices=[], required=False, widget=CheckboxSelectMultiple
    )
    rereview_on = forms.DateField(label=_("Wiedervorlage am"), required=False, widget=DATE_INPUT)
    confirmed = forms.BooleanField(
        label=_("Ich bestätige die Ausschlussgründe und die erforderlichen Prüfungen."),
        required=False,
        widget=checkbox_input(),
    )
    release_at = forms.DateTimeField(
        label=_("Veröffentlichen am (Sperrfrist)"),
        required=False,
        widget=DATETIME_INPUT,
        help_text=_(
            "Leer lassen, wenn der Datensatz gleich veröffentlicht werden darf. Mit Termin bleibt er bis dahin "
            "nirgends öffentlich und wird dann automatisch in Ihrem Namen veröffentlicht (höchstens ein Jahr im "
            "Voraus)."
        ),
    )
    confirm_alternative = forms.BooleanField(
        label=_("Ich bestätige, dass die Distributionen nur in der freigegebenen Form vorliegen."),
        required=False,
        widget=checkbox_input(),
    )
    reasons = forms.CharField(
        label=_("Begründung"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, transition, dataset=None, **kwargs):
        super().__init__(*args, prefix=transition.action, **kwargs)
        self.action = transition.action
        wanted = set(transition.input_fields)
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if dataset is not None:
            self.fields["expected_version"].initial = dataset.version
        if "reasons" in self.fields:
            # Shown as mandatory where it is; on submission the workflow refuses an empty one.
            self.fields["reasons"].required = transition.reason_required and not self.is_bound
        for name in ("outcome", "grounds", "rereview_on"):
            if name in self.fields:
                self.fields[name].required = True
        if (
            "confirmed" in self.fields
            and isinstance(dataset, Dataset)
            and not workflow.approval_needs_confirmation(dataset)
        ):
            # No exclusion grounds and no reviews to confirm: nothing to tick.
            del self.fields["confirmed"]
        if (
            self.action in ("approve", "publish")
            and dataset is not None
            and dataset.publication_outcome == PublicationForm.OPEN
        ):
            # Only an aggregated or redacted form is confirmed (on approval with a release time, or on publishing).
            del self.fields["confirm_alternative"]
        elif self.action == "approve":
            self.fields["confirm_alternative"].help_text = _("Nötig, wenn Sie einen Veröffentlichungstermin setzen.")
        if self.action == "reschedule":
            self.fields["release_at"].label = _("Neuer Veröffentlichungstermin")
            self.fields["release_at"].help_text = _(
                "Leer lassen, um die Sperrfrist aufzuheben: Dann veröffentlichen die Datenverantwortlichen von Hand."
            )
            if dataset is not None:
                self.fields["release_at"].initial = dataset.release_at
        if "grounds" in self.fields:
            terms = VocabularyTerm.objects.in_force().filter(vocabulary=Vocabulary.EXCLUSION_GROUND).order_by("code")
            self.fields["grounds"].choices = [(term.code, term.label) for term in terms]
