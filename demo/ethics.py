"""Demo data of the ethics board (idempotent): two data uses, completed and open
reviews with votes and conditions, and the reviews of the workflow's demo datasets
waiting in ethics review. Called after the catalog demo (seed_demo)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from catalog import workflow
from catalog.models import Dataset, DatasetState
from demo.governance import DEMO_PASSWORD
from ethics import services
from ethics.models import DataUse, QuestionKind, ReviewStatus
from governance import services as governance
from governance.models import Organisation, Role
from governance.permissions import has_role

# A second board member per city: a vote needs a quorum of two.
SECOND_MEMBERS = {"lindenau": "ethik2.lindenau", "eichberg": "ethik2.eichberg"}


def _answers(review, text: str, **overrides) -> dict:
    defaults = {QuestionKind.TEXT: "", QuestionKind.SCORE: "3", QuestionKind.YES_NO: "no",
                QuestionKind.LEVEL: "2", QuestionKind.AI_TIER: "minimal"}  # fmt: skip
    answers = {q.code: (defaults[q.kind], text) for q in services.questions_for(review)}
    answers.update({code: (value, text) for code, value in overrides.items()})
    return answers


def _members(organisation) -> list:
    users = get_user_model().objects.filter(username__regex=r"^(ethics|ethik2)\.").order_by("username")
    return [user for user in users if has_role(user, Role.ETHICS_BOARD_MEMBER, organisation)]


def _second_members() -> None:
    password = make_password(DEMO_PASSWORD)
    for slug, username in SECOND_MEMBERS.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        if get_user_model().objects.filter(username=username).exists():
            continue
        user = governance.create_account(
            username, home=organisation, by=None, hashed_password=password, first_name="Zweites Beiratsmitglied",
            last_name=organisation.name, email=f"{username}@demo.example",
        )  # fmt: skip
        governance.assign_role(user, Role.ETHICS_BOARD_MEMBER, organisation, by=None, note="Demo")
    governance.sync_role_permissions()


def _steward(organisation):
    return get_user_model().objects.get(username=f"steward.{organisation.slug}")


def _close(review, members, outcome, *, reasoning, summary, conditions=(), minority=""):
    for index, member in enumerate(members[:2]):
        services.cast_vote(
            review, by=member, vote=outcome if index == 0 or not minority else "approved",
            reasoning=reasoning, minority_opinion=minority if index == 1 else "",
        )  # fmt: skip
    for text, owner, days in conditions:
        services.add_condition(
            review, by=members[0], text=text, owner=owner, due_on=timezone.localdate() + timedelta(days)
        )
    return services.close_review(
        review, by=members[0], reasoning=reasoning, public_summary=summary,
        next_review_on=timezone.localdate() + timedelta(days=365),
    )  # fmt: skip


@transaction.atomic
def seed_ethics_demo() -> int:
    """Returns how many reviews it created or moved on; seeding again does nothing."""
    _second_members()
    done = 0
    lindenau = Organisation.objects.filter(slug="lindenau").first()
    eichberg = Organisation.objects.filter(slug="eichberg").first()
    if lindenau is None or eichberg is None:
        return 0

    if not DataUse.objects.filter(title="Verkehrsfluss-Analyse mit Kameras an Kreuzungen").exists():
        steward = _steward(lindenau)
        use = DataUse(
            title="Verkehrsfluss-Analyse mit Kameras an Kreuzungen",
            purpose="Kameras an zwölf Kreuzungen zählen Fahrzeuge, Räder und Fußgänger; die Bilder werden im Gerät "
            "ausgewertet und sofort verworfen. Ziel sind bessere Ampelschaltungen und sicherere Schulwege.",
            organisation=lindenau, applicant=steward, algorithmic_system=True, public_space_sensors=True,
        )  # fmt: skip
        use._change_reason = "ethics.demo"
        use.save()
        review = services.open_review(use, by=steward)
        services.answer(review, by=steward, submit=True, answers=_answers(
            review, "Zählung im Gerät, keine Bildspeicherung; Ergebnisse als Open Data je Viertelstunde.",
            wp248_monitoring="yes", wp248_innovative="yes", art35_3c="yes", dek_criticality="2",
            ai_act_tier="transparency"))  # fmt: skip
        members = _members(lindenau)
        review = _close(
            review, members, "conditions",
            reasoning="Vertretbar, weil keine Bilder gespeichert werden; die Beobachtung öffentlicher Räume verlangt "
            "eine Folgenabschätzung und sichtbare Hinweise vor Ort.",
            summary="Die Verkehrszählung mit Kameras ist mit Auflagen zulässig: Hinweisschilder an jeder Kreuzung, "
            "Datenschutz-Folgenabschätzung vor dem Start, keine Speicherung von Bildern.",
            conditions=[("Hinweisschilder an allen zwölf Kreuzungen anbringen.", steward, 20),
                        ("Datenschutz-Folgenabschätzung abschließen und veröffentlichen.", steward, 45)],
            minority="Kameras sind nicht nötig; Induktionsschleifen reichen.",
        )  # fmt: skip
        # One condition is already overdue: it shows in the inbox and gets reminders.
        aged = review.conditions.order_by("due_on").first()
        aged.due_on = timezone.localdate() - timedelta(days=3)
        aged._change_reason = "ethics.demo.aged"
        aged.save(update_fields=["due_on"])
        done += 1

    if not DataUse.objects.filter(title="KI-gestützte Priorisierung von Straßensanierungen").exists():
        steward = _steward(eichberg)
        use = DataUse(
            title="KI-gestützte Priorisierung von Straßensanierungen",
            purpose="Ein Modell eines privaten Dienstleisters bewertet Straßenschäden aus Befahrungsvideos und "
            "schlägt eine Reihenfolge der Sanierungen vor; der Dienstleister möchte das Modell weiterverkaufen.",
            organisation=eichberg, applicant=steward, algorithmic_system=True,
            commercial_reuse_by_private_partner=True,
        )  # fmt: skip
        use._change_reason = "ethics.demo"
        use.save()
        review = services.open_review(use, by=steward)
        services.answer(review, by=steward, submit=True, answers=_answers(
            review, "Befahrung 2025, Modell des Dienstleisters; Entscheidung trifft der Tiefbauausschuss.",
            wp248_innovative="yes", wp248_large_scale="yes", dek_criticality="3", private_profit="yes",
            fairness="2"))  # fmt: skip
        members = _members(eichberg)
        if members:
            services.cast_vote(review, by=members[0], vote="revise",
                               reasoning="Erst klären, was die Stadt für die Weiterverwendung erhält.")  # fmt: skip
        done += 1

    for dataset in Dataset.objects.filter(state=DatasetState.ETHICS_REVIEW).select_related("publisher", "steward"):
        review = services.open_review(dataset, automatic=True)
        if review.status != ReviewStatus.ANSWERING or review.answers.exists():
            continue
        steward = dataset.steward or _steward(dataset.publisher)
        if dataset.name == "infektionsschutz-meldungen-eichberg":
            services.answer(review, by=steward, submit=True, answers=_answers(
                review, "Namentliche Meldungen nach IfSG; nur für den Infektionsschutz erhoben.",
                wp248_sensitive="yes", wp248_vulnerable="yes", wp248_large_scale="yes", art35_3b="yes",
                group_harm="yes"))  # fmt: skip
            members = _members(dataset.publisher)
            _close(
                review, members, "rejected",
                reasoning="Namentliche Gesundheitsdaten auch von Kindern: keine Veröffentlichung, auch nicht "
                "kleinräumig aggregiert, weil Häufungen einzelne Einrichtungen und Straßen stigmatisieren.",
                summary="Der Beirat lehnt die Veröffentlichung der Meldedaten ab; das Landesgesundheitsamt "
                "veröffentlicht anonymisierte Fallzahlen auf Kreisebene.",
            )  # fmt: skip
            legal = get_user_model().objects.get(username=f"legal.{dataset.publisher.slug}")
            current = Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)
            reasons = "Einwand des Datenethikbeirats bestätigt; nicht veröffentlichungsfähig."
            workflow.approve(current, by=legal, expected_version=current.version, confirmed=True, reasons=reasons)
        else:
            services.answer(review, by=steward, submit=True, answers=_answers(
                review, "Wohngeldbescheide mit Haushaltsgröße und Stadtteil; Auswertung nur als Summen.",
                wp248_sensitive="yes", wp248_vulnerable="yes", group_harm="yes"))  # fmt: skip
            members = _members(dataset.publisher)
            if members:
                services.cast_vote(review, by=members[0], vote="conditions",
                                   reasoning="Nur Stadtteilsummen mit Mindestfallzahl 5.")  # fmt: skip
        done += 1
    return done


__all__ = ["seed_ethics_demo"]
