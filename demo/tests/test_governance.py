"""The demo network of demo/governance.py: seeded by `manage.py seed_demo`, twice without change."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from governance.models import Account, Organisation, RoleAssignment


def test_demo_data_can_be_loaded_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo catalog stores files
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Organisation.objects.count(), RoleAssignment.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (Organisation.objects.count(), RoleAssignment.objects.count()) == counts
    assert counts == (10, 52)  # a role per role and organisation, plus two second ethics board members
    assert "steward.lindenau-umwelt" in out.getvalue()
    # Every demo account belongs to the organisation of its role.
    assert not get_user_model().objects.filter(account__isnull=True).exists()
    homes = set(Account.objects.values_list("user", "home_organisation"))
    assert homes == set(RoleAssignment.objects.values_list("user", "organisation"))
