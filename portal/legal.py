"""The pages every German public website must have: Impressum (§ 5 DDG, § 18 Abs. 2 MStV),
Datenschutzerklärung (Art. 13/14 DSGVO), Erklärung zur Barrierefreiheit (BITV 2.0, EU
2016/2102, model declaration of Implementing Decision 2018/1523) and Kontakt, and the
human sitemap.

Governance admins keep their text in the app (LegalPage, versioned with
django-simple-history, so every save is journaled by governance.audit). Until a text
is saved, the default below is shown: it states what this software really stores (read
from the settings) and names in brackets what the city still has to fill in."""

import re
from datetime import date
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core import participation
from core.transitions import stamp
from governance.history import history_entries
from governance.models import Role
from governance.permissions import has_any_role, is_staff_member
from governance.policytext import render_markdown
from strategy.public import public_strategies

from .models import LegalPage, LegalPageKind

# The day the default texts below were written: their "Stand" until a city saves its own.
DEFAULTS_WRITTEN = date(2026, 12, 7)


def _german_date(day) -> str:
    # The legal texts are German only (the German text binds), so their dates are too.
    with translation.override("de"):
        return date_format(day, "SHORT_DATE_FORMAT")


REASON_LABELS = {
    "portal.legal_page.created": gettext_lazy("Pflichtseite angelegt"),
    "portal.legal_page.changed": gettext_lazy("Pflichtseite geändert"),
}

# "[Name der Stadt]": a placeholder; "[Text](https://…)" is a Markdown link, not one.
PLACEHOLDER = re.compile(r"\[([^\[\]\n]{2,120})\](?![(\[:])")


# ---------------------------------------------------------------------------
# Permission (the one helper for this resource)


def can_edit_legal_pages(user) -> bool:
    """The legal pages speak for the whole network: governance admins maintain them."""
    return has_any_role(user, Role.GOVERNANCE_ADMIN)


# ---------------------------------------------------------------------------
# Default texts


def _facts() -> dict:
    """What the software stores and for how long, from the settings it runs with."""
    minutes = lambda limit: limit[1] // 60  # noqa: E731
    return {
        "voter_cookie": participation.VOTER_COOKIE,
        "voter_days": participation.VOTER_COOKIE_MAX_AGE // 86400,
        "request_limit": settings.PORTAL_DATA_REQUEST_LIMIT[0],
        "request_minutes": minutes(settings.PORTAL_DATA_REQUEST_LIMIT),
        "comment_limit": settings.PORTAL_COMMENT_LIMIT[0],
        "comment_minutes": minutes(settings.PORTAL_COMMENT_LIMIT),
        "vote_limit": settings.PORTAL_VOTE_LIMIT[0],
        "vote_minutes": minutes(settings.PORTAL_VOTE_LIMIT),
        "mails_per_address": settings.DATA_REQUEST_MAIL_ADDRESS_LIMIT[0],
        "mail_minutes": minutes(settings.DATA_REQUEST_MAIL_ADDRESS_LIMIT),
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_days": settings.CSRF_COOKIE_AGE // 86400,
        "language_cookie": settings.LANGUAGE_COOKIE_NAME,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        "idle_minutes": settings.SESSION_IDLE_TIMEOUT // 60,
        "lockout_failures": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        "request_email_days": settings.DATA_REQUEST_EMAIL_RETENTION_DAYS,
        "request_email_max_days": settings.DATA_REQUEST_EMAIL_MAX_DAYS,
        "rejected_comment_days": settings.REJECTED_COMMENT_RETENTION_DAYS,
        "login_log_days": settings.LOGIN_LOG_RETENTION_DAYS,
        "written": _german_date(DEFAULTS_WRITTEN),
        "data_request_url": reverse("portal:data_request_create"),
        "contact_url": reverse("portal:legal_kontakt"),
        "privacy_url": reverse("portal:legal_datenschutz"),
        "accessibility_url": reverse("portal:legal_barrierefreiheit"),
    }


IMPRESSUM = """\
# Anbieter

Diensteanbieter nach § 5 Digitale-Dienste-Gesetz (DDG):

[Name der Stadt], [Anschrift]

[Name der Stadt] ist eine Körperschaft des öffentlichen Rechts. Sie wird vertreten durch
[Oberbürgermeisterin oder Oberbürgermeister: Name].

Das Portal wird gemeinsam von den Verwaltungen, Eigenbetrieben und Beteiligungen des Stadtverbunds
[Namen der beteiligten Städte] betrieben.

# Kontakt

- Telefon: [Telefonnummer]
- E-Mail: [E-Mail-Adresse]
- Weitere Wege: [Kontakt]({contact_url})

# Zuständige Aufsichtsbehörde

[Kommunalaufsichtsbehörde mit Anschrift]

# Umsatzsteuer-Identifikationsnummer

[Umsatzsteuer-Identifikationsnummer nach § 27a UStG, falls vorhanden]

# Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV

[Name der verantwortlichen Person], [Anschrift]

# Inhalte der Datensätze

Für die Beschreibung und den Inhalt eines Datensatzes ist die veröffentlichende Stelle verantwortlich,
die auf der Seite des Datensatzes genannt ist. Die Nutzungsbedingungen (Lizenz) stehen bei jedem
Datensatz und jeder Datei.

# Technischer Betrieb

[Name und Anschrift des IT-Dienstleisters]

# Links auf andere Websites

Für Inhalte fremder Websites, auf die dieses Portal verweist, sind deren Anbieter verantwortlich.
Bei Kenntnis rechtswidriger Inhalte entfernen wir den Verweis.
"""

DATENSCHUTZ = """\
Diese Erklärung informiert Sie nach Art. 13 und 14 der Datenschutz-Grundverordnung (DSGVO) darüber,
welche personenbezogenen Daten das Open-Data-Portal verarbeitet, wozu und wie lange.

# Verantwortliche Stelle

[Name der Stadt], [Anschrift]

E-Mail: [E-Mail-Adresse], Telefon: [Telefonnummer]

# Datenschutzbeauftragte Person

[Datenschutzbeauftragte Person], [Anschrift der oder des Datenschutzbeauftragten]

E-Mail: [E-Mail-Adresse der oder des Datenschutzbeauftragten]

# Zwecke und Rechtsgrundlagen

Wir betreiben das Portal, um Daten der Verwaltung offen bereitzustellen und nachvollziehbar zu machen,
welche Daten aus welchen Gründen nicht veröffentlicht werden. Das ist eine Aufgabe im öffentlichen
Interesse. Rechtsgrundlage der Verarbeitung ist Art. 6 Abs. 1 lit. e DSGVO in Verbindung mit
[Vorschrift des Landesdatenschutzgesetzes, z. B. § 4 LDSG] und [Rechtsgrundlage der Open-Data-Bereitstellung,
z. B. Open-Data-Gesetz oder E-Government-Gesetz des Landes].

# Was das Portal speichert

## Aufruf der Seiten

Beim Aufruf einer Seite verarbeitet der Webserver technisch notwendig Ihre IP-Adresse, den Zeitpunkt,
die aufgerufene Adresse, den Status der Antwort und die Kennung Ihres Browsers. Die Server-Protokolle
dienen der Sicherheit und der Fehlersuche. Sie werden nach [Speicherdauer der Server-Protokolle,
z. B. 7 Tagen] gelöscht.

Wie oft die Seite eines Datensatzes aufgerufen, seine Dateien heruntergeladen und seine Tabellen abgefragt
werden, zählt das Portal je Datensatz und Tag; gespeichert werden nur der Datensatz, der Tag, die Art des
Abrufs und die Anzahl, keine IP-Adresse, keine Browserkennung und kein Cookie. Diese Zahlen beziehen sich auf
keine Person und bleiben deshalb erhalten; das Portal zeigt sie beim Datensatz und auf der Seite „Transparenz“.

Gegen Missbrauch zählt das Portal Eingaben je IP-Adresse: höchstens {request_limit} Datenwünsche und
{comment_limit} Kommentare in {request_minutes} Minuten und {vote_limit} Stimmen in {vote_minutes} Minuten.
Dafür speichert es nicht die IP-Adresse selbst, sondern nur einen mit einem geheimen Schlüssel gebildeten
Prüfwert (HMAC-SHA-256), und zwar nur im Zwischenspeicher und nur bis zum Ende des Zählzeitraums.

## Datenwünsche

Wenn Sie sich Daten wünschen, speichern wir den Titel und die Beschreibung Ihres Wunsches und, wenn Sie
sie angeben, Ihre E-Mail-Adresse. **Titel, Beschreibung, Status und unsere Antwort werden nach der Prüfung durch die
Redaktion im Portal veröffentlicht** – bitte schreiben Sie keine persönlichen Angaben hinein.

Die E-Mail-Adresse ist freiwillig. Wir nutzen sie nur für die Eingangsbestätigung und unsere Antwort;
sie wird nicht veröffentlicht und gelangt nicht in den Versionsverlauf oder das Prüfprotokoll. An eine
Adresse gehen höchstens {mails_per_address} Bestätigungen in {mail_minutes} Minuten.

Speicherdauer: Die E-Mail-Adresse wird {request_email_days} Tage nach unserer Antwort gelöscht, ohne Antwort
spätestens {request_email_max_days} Tage nach dem Eingang. Der veröffentlichte Datenwunsch selbst bleibt
als Teil der öffentlichen Dokumentation erhalten.

## Kommentare

Zu veröffentlichten Datensätzen können Sie einen Kommentar schreiben, auf Wunsch mit einem Namen. Wir
speichern den Text, den Namen und den Zeitpunkt, aber keine E-Mail-Adresse und keine IP-Adresse.
Kommentare erscheinen erst, wenn die Redaktion sie freigegeben hat, dann mit dem angegebenen Namen.
Jede Änderung und jede Moderationsentscheidung wird im Versionsverlauf und im unveränderlichen
Prüfprotokoll des Portals festgehalten.

Speicherdauer: Freigegebene Kommentare bleiben beim Datensatz sichtbar, solange er veröffentlicht ist.
Abgelehnte Kommentare werden {rejected_comment_days} Tage nach der Entscheidung mit ihren Versionen gelöscht;
das Prüfprotokoll behält die Moderationsentscheidung zur Nachvollziehbarkeit (Art. 17 Abs. 3 lit. b DSGVO).

## Cookies

Das Portal setzt nur Cookies, die für die von Ihnen gewünschte Funktion unbedingt erforderlich sind
(§ 25 Abs. 2 Nr. 2 TDDDG). Eine Einwilligung ist dafür nicht nötig.

- `{csrf_cookie}`: schützt die Formulare vor Missbrauch (Fälschung von Anfragen). Gültig {csrf_days} Tage.
- `{language_cookie}`: merkt sich die gewählte Sprache, nur wenn Sie sie umschalten. Gültig, bis Sie
  den Browser schließen.
- `{voter_cookie}`: für „Finde ich wichtig“, damit jeder Browser einmal je Datensatz oder Maßnahme zählt.
  Es enthält eine zufällige Kennung und wird erst gesetzt, wenn Sie abstimmen; das Portal speichert
  zur Stimme nur einen Prüfwert dieser Kennung. Gültig {voter_days} Tage.
- `messages`: zeigt nach dem Abstimmen oder Kommentieren die Bestätigung an und wird mit dem nächsten
  Seitenaufruf gelöscht.
- `{session_cookie}`: nur bei der Anmeldung der Beschäftigten. Gültig höchstens {session_hours} Stunden;
  nach {idle_minutes} Minuten ohne Aktivität endet die Anmeldung.

## Anmeldung für Beschäftigte

Für den internen Bereich protokolliert das Portal Anmeldungen und fehlgeschlagene Anmeldeversuche mit
Benutzername, IP-Adresse, Browserkennung und Zeitpunkt. Nach {lockout_failures} Fehlversuchen wird die
Anmeldung für {lockout_minutes} Minuten gesperrt. Diese Protokolleinträge werden nach {login_log_days} Tagen
gelöscht.

# Kein Tracking, keine Inhalte Dritter

Das Portal verwendet keine Analyse- oder Tracking-Werkzeuge und bindet keine Inhalte Dritter ein
(keine Schriften, Skripte, Karten oder Videos von fremden Servern, keine Schaltflächen sozialer
Netzwerke). Alle Bestandteile der Seiten kommen vom Server des Portals. Verweise auf andere Websites
sind einfache Links: Erst wenn Sie ihnen folgen, erfährt der andere Anbieter Ihre IP-Adresse.

# Empfänger

Ihre Angaben sehen nur die Beschäftigten des Stadtverbunds, die Datenwünsche beantworten und Kommentare
freigeben (Datenverantwortliche und Governance-Administration). Das Portal wird von
[Name des IT-Dienstleisters] in unserem Auftrag betrieben (Art. 28 DSGVO); E-Mails versendet
[E-Mail-Dienstleister]. Eine Übermittlung in Länder außerhalb der EU findet nicht statt.
[Prüfen, ob das für Betrieb und E-Mail-Versand zutrifft.]

# Ihre Rechte

Sie haben das Recht auf Auskunft (Art. 15 DSGVO), Berichtigung (Art. 16), Löschung (Art. 17),
Einschränkung der Verarbeitung (Art. 18) und Widerspruch gegen die Verarbeitung aus Gründen, die sich
aus Ihrer besonderen Situation ergeben (Art. 21). Das Recht auf Datenübertragbarkeit (Art. 20) gilt
für Verarbeitungen nach Art. 6 Abs. 1 lit. e DSGVO nicht. Wenden Sie sich dazu an die verantwortliche
Stelle oder die datenschutzbeauftragte Person.

Sie können sich bei einer Aufsichtsbehörde beschweren (Art. 77 DSGVO), zuständig ist
[Landesbeauftragte oder Landesbeauftragter für den Datenschutz, Anschrift, Website].
"""

BARRIEREFREIHEIT = """\
[Name der Stadt] ist bemüht, das Open-Data-Portal im Einklang mit [Landesgesetz zur Gleichstellung
von Menschen mit Behinderungen] und der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) zur
Umsetzung der Richtlinie (EU) 2016/2102 barrierefrei zugänglich zu machen. Diese Erklärung gilt für
[Adresse des Portals].

# Stand der Vereinbarkeit mit den Anforderungen

Das Portal ist **teilweise barrierefrei**: Es ist mit den Anforderungen der BITV 2.0 und der Norm
EN 301 549 (WCAG 2.1, Stufen A und AA) teilweise vereinbar. Die Ausnahmen stehen im folgenden Abschnitt.

# Nicht barrierefreie Inhalte

- **Leichte Sprache und Gebärdensprache:** Erläuterungen zum Portal in Leichter Sprache und in Deutscher
  Gebärdensprache (§ 4 BITV 2.0) gibt es noch nicht. [Geplanter Termin]
- **Dateien der Datensätze:** Die herunterladbaren Dateien (zum Beispiel CSV, Excel, PDF, Geodaten) stellen
  die veröffentlichenden Stellen bereit. Sie sind nicht auf Barrierefreiheit geprüft. Tabellen
  lassen sich im Portal als CSV, JSON oder Excel herunterladen und so mit Hilfsmitteln lesen.
- **Dokumentation der Programmierschnittstellen:** Die Oberfläche der API-Dokumentation (Swagger UI)
  wurde nicht auf Barrierefreiheit geprüft. Die Schnittstellen selbst liefern maschinenlesbare Daten.

Diagramme auf den Seiten „Transparenz“ und „Strategie“ zeigen ihre Zahlen zusätzlich in Tabellen.

# Erstellung dieser Erklärung

Diese Erklärung wurde am {written} erstellt. Grundlage ist eine Selbstbewertung: Alle öffentlichen
Seiten des Portals und die wichtigsten internen Seiten werden bei jeder Änderung der Software
automatisch mit dem Prüfwerkzeug axe-core auf die Anforderungen der WCAG 2.1 (Stufen A und AA)
geprüft; die Prüfung meldet derzeit keine Verstöße. Automatische Prüfungen finden nicht alle Barrieren.
[Datum und Ergebnis einer Prüfung durch eine unabhängige Prüfstelle, falls vorhanden]

Die Erklärung wurde zuletzt am [Datum der letzten Überprüfung] überprüft.

# Barrieren melden: Feedback und Kontakt

Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen? Brauchen Sie Inhalte in einer anderen Form?
Schreiben Sie uns:

- E-Mail: [E-Mail-Adresse für Hinweise zur Barrierefreiheit]
- Telefon: [Telefonnummer]
- Post: [Anschrift]
- Weitere Wege: [Kontakt]({contact_url})

Wir antworten in der Regel innerhalb von [Frist, z. B. zwei Wochen].

# Durchsetzungsverfahren

Wenn Sie auf Ihre Meldung keine zufriedenstellende Antwort erhalten, können Sie sich an die
Durchsetzungsstelle wenden. Für Stellen des Landes und der Kommunen ist das
[Durchsetzungsstelle des Landes] ([Anschrift und Website der Durchsetzungsstelle]).

Bei Stellen des Bundes hilft die Schlichtungsstelle nach § 16 BGG bei der Beauftragten der Bundesregierung
für die Belange von Menschen mit Behinderungen, Mauerstraße 53, 10117 Berlin,
[www.schlichtungsstelle-bgg.de](https://www.schlichtungsstelle-bgg.de). Das Verfahren ist kostenlos;
Sie brauchen keinen Rechtsbeistand.
"""

KONTAKT = """\
# Open-Data-Stelle

[Name der Stadt], [Name der Organisationseinheit], [Anschrift]

- E-Mail: [E-Mail-Adresse der Open-Data-Stelle]
- Telefon: [Telefonnummer]
- Erreichbar: [Sprechzeiten]

# Sie suchen Daten?

Wenn Sie Daten im Portal nicht finden, [wünschen Sie sie sich]({data_request_url}). Dafür brauchen Sie kein
Konto; wir antworten öffentlich im Portal und, wenn Sie möchten, per E-Mail.

Fragen zu einem einzelnen Datensatz beantwortet die Stelle, die auf der Seite des Datensatzes als
Ansprechstelle genannt ist.

# Barrieren und Datenschutz

- Hinweise auf Barrieren: siehe [Erklärung zur Barrierefreiheit]({accessibility_url})
- Fragen zum Datenschutz: siehe [Datenschutzerklärung]({privacy_url})

# Presse

[Pressestelle, Telefon, E-Mail]
"""

DEFAULT_TEXTS = {
    LegalPageKind.IMPRESSUM: IMPRESSUM,
    LegalPageKind.DATENSCHUTZ: DATENSCHUTZ,
    LegalPageKind.BARRIEREFREIHEIT: BARRIEREFREIHEIT,
    LegalPageKind.KONTAKT: KONTAKT,
}


# "Art. 15", "§ 5", "Abs. 2" stay on one line (a no-break space after the abbreviation).
CITATION = re.compile(r"(§|Art\.|Abs\.|Nr\.|lit\.) (?=\w)")


def default_text(kind: str) -> str:
    return CITATION.sub("\\1\u00a0", DEFAULT_TEXTS[kind].format(**_facts()))


def open_placeholders(text: str) -> list[str]:
    """The bracketed placeholders still in a text, each once, in order."""
    return list(dict.fromkeys(f"[{match}]" for match in PLACEHOLDER.findall(text or "")))


# ---------------------------------------------------------------------------
# Reading and writing


class Shown:
    """A legal page as the public sees it: the saved text, or the default."""

    def __init__(self, kind: str, page: LegalPage | None):
        self.kind = kind
        self.page = page
        self.title = LegalPageKind(kind).label
        self.url = reverse(f"portal:legal_{kind}")
        self.body = page.body if page else default_text(kind)
        self.is_default = page is None
        self.updated_at = page.updated_at if page else None
        self.stand = timezone.localdate(page.updated_at) if page else DEFAULTS_WRITTEN
        self.placeholders = open_placeholders(self.body)


def shown(kind: str) -> Shown:
    if kind not in LegalPageKind.values:
        raise Http404
    return Shown(kind, LegalPage.objects.filter(kind=kind).select_related("updated_by").first())


def save_legal_page(kind: str, *, body: str, by, note: str = "") -> LegalPage | None:
    """Save the text of a legal page as a new version (history and journal). Returns None
    when the text did not change."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Bitte geben Sie einen Text ein.")})
    with transaction.atomic():
        page = LegalPage.objects.select_for_update().filter(kind=kind).first()
        if page is not None and page.body == body:
            return None
        created = page is None
        page = page or LegalPage(kind=kind)
        page.body = body
        page.updated_by = by
        page.updated_at = timezone.now()
        page.full_clean()
        stamp(
            page, by=by, reason="portal.legal_page.created" if created else "portal.legal_page.changed",
            person_text=note,
        )  # fmt: skip
        page.save()
    return page


# ---------------------------------------------------------------------------
# Form


class LegalPageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=50000,
        help_text=gettext_lazy(
            "Markdown: „# Überschrift“, Leerzeile für einen neuen Absatz, „- “ für Listen, "
            "„[Linktext](https://…)“ für Links. Text in eckigen Klammern gilt als offener Platzhalter."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Notiz zur Änderung"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Erscheint im Versionsverlauf, nicht auf der öffentlichen Seite."),
    )


# ---------------------------------------------------------------------------
# Views


def legal_admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit_legal_pages(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
def legal_page(request, kind):
    page = shown(kind)
    staff = is_staff_member(request.user)
    return render(
        request,
        "portal/legal_page.html",
        {
            "page": page,
            "body": render_markdown(page.body),
            "show_placeholders": staff and page.placeholders,
            "can_edit": can_edit_legal_pages(request.user) if staff else False,
        },
    )


@legal_admin_required
@require_GET
def legal_page_list(request):
    return render(request, "portal/legal_list.html", {"pages": [shown(kind) for kind in LegalPageKind.values]})


@legal_admin_required
@require_http_methods(["GET", "POST"])
def legal_page_edit(request, kind):
    page = shown(kind)
    form = LegalPageForm(request.POST or None, initial={"body": page.body})
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_legal_page(
                kind, body=form.cleaned_data["body"], by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if saved is None:
                messages.info(request, _("Der Text ist unverändert; es wurde keine neue Fassung gespeichert."))
            else:
                messages.success(request, _("Der Text wurde gespeichert und ist jetzt öffentlich."))
            return redirect(page.url)
    return render(request, "portal/legal_edit.html", {"page": page, "form": form})


@legal_admin_required
@require_GET
def legal_page_history(request, kind):
    page = shown(kind)
    records = (
        list(page.page.history.select_related("history_user").order_by("-history_date", "-history_id"))
        if page.page
        else []
    )
    entries = history_entries(records) if records else []
    return render(request, "portal/legal_history.html", {"page": page, "entries": entries})


@require_GET
def sitemap_page(request):
    """The human sitemap: the public sections, grouped (sitemap.xml is for machines)."""
    strategies = public_strategies().only("slug", "title").order_by("title")
    return render(request, "portal/sitemap.html", {"strategies": strategies})
