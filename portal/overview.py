"""What the portal tells a governance admin's start page (governance.overview): the data
requests nobody has answered yet. They are the public's, for the whole network."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from governance.overview import Signal, register_signal

from .models import DataRequest, DataRequestStatus


def register() -> None:
    register_signal(
        Signal(
            "datenwuensche",
            _("Offene Datenwünsche"),
            _("Datenwünsche aus der Öffentlichkeit, die noch niemand bearbeitet hat (stadtverbundweit)."),
            count=lambda ids: DataRequest.objects.filter(status=DataRequestStatus.OPEN).count(),
            url=lambda: reverse("portal:triage_list") + f"?status={DataRequestStatus.OPEN}",
            order=50,
            network_wide=True,
        )
    )
