"""The default questionnaire (version 1) as data: the 15 areas of the ODI Data Ethics
Canvas in our own wording, the UK Data Ethics Framework principles, the WP248 DPIA
screening criteria and Art. 35(3) GDPR cases, the Datenethikkommission criticality and
the EU AI Act tier, and the municipal questions (reference/ethics_legal.md §1, §2.4, §7.4).
"""

from datetime import date

from django.db import transaction

from .models import QuestionGroup, QuestionKind, QuestionnaireVersion, Referral

G, K, R = QuestionGroup, QuestionKind, Referral

CREDITS = (
    "Die Abschnitte „Daten kennen“ bis „In Abläufe einbinden“ folgen den 15 Feldern des Data Ethics Canvas "
    "(2021) des Open Data Institute (theodi.org), lizenziert unter CC BY-SA 4.0; die Fragen sind eigene, "
    "gekürzte Formulierungen und stehen unter derselben Lizenz. Die Bewertungen 0–5 folgen dem UK Data Ethics "
    "Framework (2020), die Vorprüfung zur Datenschutz-Folgenabschätzung den Leitlinien WP248 rev.01 und "
    "Art. 35 Abs. 3 DSGVO, die Kritikalität dem Gutachten der Datenethikkommission (2019) und die Risikostufen "
    "der KI-Verordnung (EU) 2024/1689."
)

ODI = "ODI Data Ethics Canvas (CC BY-SA 4.0)"
UK = "UK Data Ethics Framework 2020"
WP = "WP248 rev.01"

# code, group, kind, referral, text, explanation, source, algorithmic_only
QUESTIONS = [
    ("sources", G.KNOW, K.TEXT, R.NONE, "Welche Datenquellen nutzt das Vorhaben?",
     "Nennen Sie jede wichtige Quelle, ob selbst erhoben oder von Dritten, mit Eigentümer.", ODI, False),
    ("rights", G.KNOW, K.TEXT, R.NONE, "Auf welcher Grundlage dürfen Sie die Daten nutzen?",
     "Lizenz oder Rechtsgrundlage; ob die Daten für diesen oder einen anderen Zweck erhoben wurden; ob sie "
     "personenbezogene oder sonst sensible Angaben enthalten.", ODI, False),
    ("limitations", G.KNOW, K.TEXT, R.NONE, "Welche Grenzen haben die Daten?",
     "Verzerrungen bei der Erhebung, Lücken, fehlende Gruppen: alles, was das Ergebnis beeinflussen kann.", ODI,
     False),
    ("ethical_legislative", G.KNOW, K.TEXT, R.NONE, "Welche Regeln und Gesetze gelten?",
     "Ethische Leitlinien der Stadt (z. B. Datenethikkonzept), Gesetze, Satzungen, Dienstanweisungen – und "
     "welche Anforderungen daraus folgen.", ODI, False),
    ("reasons", G.EXPLORE, K.TEXT, R.NONE, "Warum nutzen Sie Daten?",
     "Hauptzweck, Anwendungsfälle; wird etwas für die Stadtgesellschaft besser, für wen; ersetzt es ein "
     "bestehendes Angebot?", ODI, False),
    ("positive_effects", G.EXPLORE, K.TEXT, R.NONE, "Wem nützt es?",
     "Welche Menschen, Gruppen oder Organisationen profitieren, und wie messen und vermitteln Sie den Nutzen?",
     ODI, False),
    ("negative_effects", G.EXPLORE, K.TEXT, R.NONE, "Wem könnte es schaden?",
     "Könnten Menschen wiedererkannt, bewertet, benachteiligt oder ausgeschlossen werden? Wie erfahren "
     "Betroffene von den Risiken?", ODI, False),
    ("mitigations", G.EXPLORE, K.TEXT, R.NONE, "Wie verringern Sie Schäden?",
     "Schritte gegen die Risiken, Schutz personenbezogener und sensibler Daten, wie negative Wirkungen "
     "gemessen und behoben werden.", ODI, False),
    ("engaging", G.PLAN, K.TEXT, R.NONE, "Wie können sich Menschen beteiligen?",
     "Wie können Betroffene nachfragen, Angaben berichtigen lassen oder widersprechen, und ist das bekannt?",
     ODI, False),
    ("communicating", G.PLAN, K.TEXT, R.NONE, "Wie erklären Sie den Zweck?",
     "Verstehen Betroffene den Zweck? Wie erreichen Sie auch Menschen, die besonders schutzbedürftig sind?",
     ODI, False),
    ("openness", G.PLAN, K.TEXT, R.NONE, "Wie offen können Sie sein?",
     "Können Methode, Metadaten, Daten, Code oder Wirkungsmessung veröffentlicht werden? Veröffentlichen Sie "
     "diesen Fragebogen?", ODI, False),
    ("sharing", G.PLAN, K.TEXT, R.NONE, "Mit wem teilen Sie Daten?",
     "Mit welchen Organisationen, zu welchen Bedingungen; was wird veröffentlicht?", ODI, False),
    ("implementation", G.INTEGRATE, K.TEXT, R.NONE, "Wie bleibt das Vorhaben auf Kurs?",
     "Werden die Sichtweisen Betroffener laufend einbezogen? Welche Schulung, welche Abläufe und Mittel gibt "
     "es für Datenfragen auf Dauer?", ODI, False),
    ("review", G.INTEGRATE, K.TEXT, R.NONE, "Wann prüfen Sie erneut?",
     "Wie werden ethische Fragen beobachtet und besprochen, wie oft wird dieser Fragebogen überprüft?", ODI,
     False),
    ("actions", G.INTEGRATE, K.TEXT, R.NONE, "Was tun Sie, bevor es weitergeht?",
     "Die Maßnahmen, die Sie vor dem nächsten Schritt ergreifen, mit Verantwortlichen.", ODI, False),
    ("transparency", G.PRINCIPLES, K.SCORE, R.PRINCIPLE, "Transparenz",
     "0 = nicht berücksichtigt, 5 = vollständig umgesetzt, dokumentiert und veröffentlicht. Sind Vorgehen, "
     "Abläufe und Daten offen einsehbar? Eine Bewertung von 1 oder weniger verweist an den Beirat.", UK, False),
    ("accountability", G.PRINCIPLES, K.SCORE, R.PRINCIPLE, "Rechenschaft",
     "Gibt es eine wirksame Aufsicht, und können Öffentlichkeit und Betroffene das Vorhaben überprüfen? "
     "Eine Bewertung von 1 oder weniger verweist an den Beirat.", UK, False),
    ("fairness", G.PRINCIPLES, K.SCORE, R.PRINCIPLE, "Fairness",
     "Keine unbeabsichtigte Diskriminierung von Einzelnen oder Gruppen, Verzerrungen werden gemindert. "
     "Eine Bewertung von 1 oder weniger verweist an den Beirat.", UK, False),
    ("wp248_scoring", G.DPIA, K.YES_NO, R.WP248, "Werden Menschen bewertet oder eingestuft?",
     "Bewertung oder Scoring einschließlich Profiling und Prognosen.", WP, False),
    ("wp248_automated", G.DPIA, K.YES_NO, R.WP248, "Gibt es automatisierte Entscheidungen mit Rechtswirkung?",
     "Entscheidungen ohne menschliche Prüfung, die Menschen rechtlich oder ähnlich erheblich betreffen.", WP,
     False),
    ("wp248_monitoring", G.DPIA, K.YES_NO, R.WP248, "Werden Menschen systematisch beobachtet?",
     "Auch die Beobachtung öffentlich zugänglicher Bereiche, z. B. mit Kameras oder Zählsensoren.", WP, False),
    ("wp248_sensitive", G.DPIA, K.YES_NO, R.WP248, "Sind sensible oder höchstpersönliche Daten betroffen?",
     "Besondere Kategorien nach Art. 9 und 10 DSGVO und andere Daten sehr persönlicher Art.", WP, False),
    ("wp248_large_scale", G.DPIA, K.YES_NO, R.WP248, "Werden Daten in großem Umfang verarbeitet?",
     "Zahl der Betroffenen, Datenmenge, Dauer und räumliche Ausdehnung.", WP, False),
    ("wp248_matching", G.DPIA, K.YES_NO, R.WP248, "Werden Datensätze verknüpft oder zusammengeführt?",
     "Daten aus verschiedenen Verfahren oder Quellen, die Betroffene so nicht erwarten.", WP, False),
    ("wp248_vulnerable", G.DPIA, K.YES_NO, R.WP248, "Sind schutzbedürftige Menschen betroffen?",
     "Kinder, Beschäftigte, Patientinnen und Patienten, Geflüchtete, Menschen in Pflege.", WP, False),
    ("wp248_innovative", G.DPIA, K.YES_NO, R.WP248, "Wird neue Technik eingesetzt?",
     "Innovative Nutzung oder neue technische oder organisatorische Lösungen.", WP, False),
    ("wp248_prevents_rights", G.DPIA, K.YES_NO, R.WP248, "Hindert die Verarbeitung Menschen an einer Leistung?",
     "Verarbeitung, die Betroffene daran hindert, ein Recht auszuüben oder eine Leistung zu nutzen.", WP, False),
    ("art35_3a", G.DPIA, K.YES_NO, R.ART35_3, "Systematische, umfassende Bewertung mit erheblicher Wirkung?",
     "Art. 35 Abs. 3 lit. a DSGVO: Profiling, auf das sich Entscheidungen mit Rechtswirkung stützen.",
     "Art. 35 Abs. 3 DSGVO", False),
    ("art35_3b", G.DPIA, K.YES_NO, R.ART35_3, "Umfangreiche Verarbeitung besonderer Kategorien?",
     "Art. 35 Abs. 3 lit. b DSGVO: Daten nach Art. 9 oder 10 in großem Umfang.", "Art. 35 Abs. 3 DSGVO", False),
    ("art35_3c", G.DPIA, K.YES_NO, R.ART35_3, "Umfangreiche Überwachung öffentlich zugänglicher Bereiche?",
     "Art. 35 Abs. 3 lit. c DSGVO: z. B. Kameras an Kreuzungen oder Plätzen.", "Art. 35 Abs. 3 DSGVO", False),
    ("dek_criticality", G.ALGORITHMIC, K.LEVEL, R.DEK, "Kritikalität nach der Datenethikkommission",
     "1 = kein oder geringes, 2 = gewisses, 3 = regelmäßiges oder deutliches, 4 = erhebliches, "
     "5 = unvertretbares Schädigungspotenzial. Ab Stufe 3 entscheidet der Beirat.",
     "Datenethikkommission 2019", True),
    ("ai_act_tier", G.ALGORITHMIC, K.AI_TIER, R.AI_TIER, "Risikostufe nach der KI-Verordnung",
     "Hohes Risiko oder verbotene Praktik verweisen an den Beirat.", "Verordnung (EU) 2024/1689", True),
    ("sale_of_personal_data", G.MUNICIPAL, K.YES_NO, R.HARD_STOP,
     "Werden personenbezogene Daten verkauft oder zu Geld gemacht?",
     "Nach dem Datenethikkonzept ausgeschlossen: ein „Ja“ führt zwingend zur Ablehnung.", "Datenethikkonzept Ulm",
     False),
    ("private_profit", G.MUNICIPAL, K.YES_NO, R.PRIVATE_PROFIT,
     "Profitieren private Unternehmen, ohne der Stadtgesellschaft etwas zurückzugeben?",
     "Dann braucht es eine Entscheidung über Entgelt oder Lizenz.", "Datenstrategie Jena", False),
    ("group_harm", G.MUNICIPAL, K.YES_NO, R.GROUP_HARM,
     "Könnte die Nutzung einen Stadtteil oder eine Gruppe stigmatisieren?",
     "Zum Beispiel kleinräumige Sozialdaten, die Quartiere an den Pranger stellen.", "Datenethik im Stadtverbund",
     False),
]  # fmt: skip


def current_questionnaire() -> QuestionnaireVersion:
    """The newest questionnaire version in force; installs version 1 if there is none yet (a new
    database, or a test that flushed the tables)."""
    from django.utils import timezone

    versions = QuestionnaireVersion.objects.order_by("-number")
    version = versions.filter(valid_from__lte=timezone.localdate()).first() or versions.first()
    return version or install_default_questionnaire()


def install_default_questionnaire() -> QuestionnaireVersion:
    from .models import Question

    with transaction.atomic():
        version, created = QuestionnaireVersion.objects.get_or_create(
            number=1, defaults={"valid_from": date(2025, 2, 1), "credits": CREDITS}
        )
        if created:
            for position, (code, group, kind, referral, text, explanation, source, algo) in enumerate(QUESTIONS):
                Question.objects.create(
                    version=version, code=code, group=group, kind=kind, referral=referral, text=text,
                    explanation=explanation, source=source, position=(position + 1) * 10, algorithmic_only=algo,
                )  # fmt: skip
    return version


def new_version(base: QuestionnaireVersion, *, number: int, valid_from: date, texts: dict | None = None,
                change_note: str = "") -> QuestionnaireVersion:  # fmt: skip
    """A new questionnaire version copied from `base`, with changed question texts
    ({code: text}). Reviews answered with `base` keep it unchanged."""
    from .models import Question

    texts = texts or {}
    with transaction.atomic():
        version = QuestionnaireVersion.objects.create(
            number=number, valid_from=valid_from, credits=base.credits, change_note=change_note
        )
        for question in base.questions.all():
            Question.objects.create(
                version=version, code=question.code, group=question.group, kind=question.kind,
                referral=question.referral, text=texts.get(question.code, question.text),
                explanation=question.explanation, source=question.source, position=question.position,
                algorithmic_only=question.algorithmic_only,
            )  # fmt: skip
    return version
