from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from governance.forms import formfield_with_https_urls
from governance.models import Organisation, Role, RoleAssignment
from governance.permissions import has_role

from ..forms import RadioSelect, checkbox_input
from ..models import HarvestKind, HarvestSource
from ..permissions import harvest_admin_organisations
from .client import normalise_source_url, source_address_problem
from .sources import supports_incremental


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class HarvestSourceForm(forms.ModelForm):
    """Set up or change a source (CKAN, DCAT-AP or CSW). Organisations offered are those in which the
    person filling in the form is governance admin."""

    mappings = forms.CharField(
        label=_("Zuordnung der Organisationen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "sd-textarea--code"}),
        help_text=_(
            "Eine Zeile je Organisation der Quelle: ihr Name an der Quelle, ein Gleichheitszeichen und der Kurzname "
            "der Organisation hier, z. B. <code>umweltamt = stadt-a-umweltamt</code>. Datensätze nicht zugeordneter "
            "Organisationen erhalten die oben gewählte Organisation als Herausgeber."
        ),
    )

    class Meta:
        model = HarvestSource
        fields = [
            "name",
            "kind",
            "url",
            "default_organisation",
            "responsible",
            "fq",
            "name_prefix",
            "trusted",
            "active",
        ]
        field_classes = {"responsible": PersonChoiceField}
        formfield_callback = formfield_with_https_urls
        widgets = {
            "kind": RadioSelect(
                hints={
                    HarvestKind.CKAN: _(
                        "Ein bestehendes Open-Data-Portal mit CKAN. Adresse: die Startseite des Portals, "
                        "z. B. https://opendata.stadt-a.example."
                    ),
                    HarvestKind.DCAT: _(
                        "Ein Katalog in DCAT-AP.de, etwa eines Landes, von GovData oder einer piveau-Plattform; "
                        "mehrseitig mit Hydra. Adresse: der Katalog selbst, z. B. "
                        "https://www.govdata.de/ckan/catalog/catalog.ttl."
                    ),
                    HarvestKind.CSW: _(
                        "Der Katalogdienst eines Geoportals (Metadaten nach ISO 19139 / GDI-DE). Adresse: der "
                        "CSW-Dienst, z. B. https://geoportal.stadt-a.example/csw."
                    ),
                }
            ),
            "trusted": checkbox_input(),
            "active": checkbox_input(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = harvest_admin_organisations(user).order_by("name")
        self.fields["default_organisation"].queryset = organisations
        self.fields["default_organisation"].empty_label = None if len(organisations) == 1 else _("Bitte wählen")
        admins = RoleAssignment.objects.active().filter(role=Role.GOVERNANCE_ADMIN, organisation__in=organisations)
        self.fields["responsible"].queryset = (
            get_user_model()
            .objects.filter(pk__in=admins.values("user"), is_active=True)
            .order_by("last_name", "username")
        )
        self.fields["responsible"].empty_label = _("Bitte wählen")
        # Mappings may name these organisations, and keep those another admin chose before.
        self.mappable = {organisation.slug: organisation for organisation in organisations}
        if self.instance.pk:
            current = self.instance.organisation_mappings.select_related("organisation")
            self.mappable.update({mapping.organisation.slug: mapping.organisation for mapping in current})
            self.fields["mappings"].initial = "\n".join(
                f"{mapping.remote_name} = {mapping.organisation.slug}" for mapping in current
            )
        else:
            self.fields["responsible"].initial = user.pk

    def clean(self):
        cleaned = super().clean()
        # A CKAN portal is named by its base address (a pasted API path is cut off); a DCAT
        # catalog or a CSW is the very address given.
        if cleaned.get("url") and cleaned.get("kind") == HarvestKind.CKAN:
            cleaned["url"] = normalise_source_url(cleaned["url"])
        if cleaned.get("fq", "").strip() and cleaned.get("kind") != HarvestKind.CKAN:
            self.add_error("fq", _("Einen Filter gibt es nur für CKAN-Portale. Bitte lassen Sie das Feld leer."))
        return self.check_responsible_and_address(cleaned)

    def clean_mappings(self) -> list[tuple[str, Organisation]]:
        mappings, errors, seen = [], [], set()
        for number, line in enumerate(self.cleaned_data["mappings"].splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            remote_name, separator, slug = (part.strip() for part in line.partition("="))
            if not separator or not remote_name or not slug:
                errors.append(
                    _("Zeile %(number)s: Bitte „Name an der Quelle = Kurzname“ angeben.") % {"number": number}
                )
            elif slug not in self.mappable:
                errors.append(
                    _(
                        "Zeile %(number)s: Die Organisation „%(slug)s“ gibt es nicht, oder Sie sind dort nicht "
                        "Governance-Admin."
                    )
                    % {"number": number, "slug": slug}
                )
            elif remote_name in seen:
                errors.append(
                    _("Zeile %(number)s: „%(name)s“ ist schon zugeordnet.") % {"number": number, "name": remote_name}
                )
            else:
                seen.add(remote_name)
                mappings.append((remote_name[:100], self.mappable[slug]))
        if errors:
            raise ValidationError(errors)
        return mappings

    def check_responsible_and_address(self, cleaned):
        responsible, organisation = cleaned.get("responsible"), cleaned.get("default_organisation")
        if responsible and organisation and not has_role(responsible, Role.GOVERNANCE_ADMIN, organisation):
            self.add_error(
                "responsible",
                _("Die verantwortliche Person muss Governance-Admin von %(organisation)s sein.")
                % {"organisation": organisation},
            )
        url = cleaned.get("url")
        if url and (url, cleaned.get("trusted")) != (self.initial.get("url"), self.initial.get("trusted")):
            # Said next to the address, with the other errors; save_source checks again.
            problem = source_address_problem(url, trusted=bool(cleaned.get("trusted")))
            if problem:
                self.add_error("url", problem)
        return cleaned

    def source_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class HarvestStartForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Umfang"),
        choices=[
            ("full", _("Vollständig")),
            ("incremental", _("Nur Änderungen seit dem letzten erfolgreichen Abruf")),
        ],
        initial="full",
        widget=RadioSelect(
            hints={
                "full": _("Liest alle Datensätze der Quelle und erkennt auch, was dort entfernt wurde."),
                "incremental": _("Schneller; an der Quelle entfernte Datensätze werden dabei nicht erkannt."),
            }
        ),
    )

    def __init__(self, *args, source: HarvestSource, **kwargs):
        super().__init__(*args, **kwargs)
        if source.last_success() is None or not supports_incremental(source.kind):
            self.fields["scope"].choices = self.fields["scope"].choices[:1]
            self.fields["scope"].widget.choices = self.fields["scope"].choices

    @property
    def incremental(self) -> bool:
        return self.cleaned_data.get("scope") == "incremental"
