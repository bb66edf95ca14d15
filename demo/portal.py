"""Demo content of the portal: data requests in every status, votes and comments."""

from django.contrib.auth import get_user_model

from catalog.models import Dataset
from portal import services
from portal.models import DataRequest


def seed_portal_demo() -> int:
    """Create the demo data requests and feedback once; returns how many requests it created."""
    if DataRequest.objects.exists():
        return 0
    admin = get_user_model().objects.filter(username="admin.lindenau").first()
    published = {d.name: d for d in Dataset.objects.published()}
    requests = [
        ("Belegung der Parkhäuser in Echtzeit", "Für eine App, die freie Stellplätze in der Innenstadt zeigt.", None),
        ("Standorte öffentlicher Toiletten", "Mit Öffnungszeiten und Barrierefreiheit.", ("in_progress", "", None, "")),
        ("Baumbestand mit Pflanzjahr", "Für ein Schulprojekt zu Stadtbäumen.",
         ("published", "Das Baumkataster enthält Art, Höhe und Pflanzjahr.", "baumkataster-lindenau", "")),
        ("Namen der Empfänger von Sozialleistungen", "Zur Kontrolle der Verwaltung.",
         ("declined", "Angaben über einzelne Personen veröffentlichen wir nicht; zusammengefasste Zahlen je "
          "Stadtteil finden Sie im Portal.", None, "PERSONAL_DATA")),
    ]  # fmt: skip
    for title, description, triage in requests:
        data_request = services.create_data_request(title=title, description=description)
        if triage and admin:
            status, answer, dataset_name, ground = triage
            services.triage_data_request(
                data_request, by=admin, status=status, answer=answer, dataset=published.get(dataset_name),
                decline_ground=ground,
            )  # fmt: skip
    for index, dataset in enumerate(list(published.values())[:5]):
        for voter in range(5 - index):
            services.vote(dataset, voter=f"demo-{voter}")
    tree = published.get("baumkataster-lindenau")
    if tree is not None:
        approved = services.add_comment(tree, name="Kim", text="Sehr nützlich für unser Schulprojekt, danke!")
        if admin:
            services.moderate_comment(approved, by=admin, approve=True)
        services.add_comment(tree, name="", text="Gibt es die Daten auch für Eichberg?")
    return len(requests)
