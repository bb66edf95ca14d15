"""What every version history keeps besides simple-history's own fields."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonText(models.Model):
    """The base of every historical model (`HistoricalRecords(bases=[PersonText])`):
    next to the change reason, a code only services set, the text the person typed for
    the change (a reason, a note), kept and shown as theirs and never read as a code.
    governance.signals fills it from the instance (core.transitions.stamp)."""

    history_person_text = models.TextField(_("Begründung/Notiz der Person"), blank=True, default="")

    class Meta:
        abstract = True
