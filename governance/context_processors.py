from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import permissions
from .models import Role

# The staff navigation. An entry appears once its app provides the URL, and only to
# people holding one of its roles somewhere (None: any role).
STAFF_NAVIGATION = [
    ("governance:tasks", _("Aufgaben"), None),
    ("catalog:dataset_list", _("Datensätze"), None),
    ("governance:organisation_list", _("Governance"), None),
    ("governance:policy_list", _("Richtlinien"), None),
    ("strategy:strategy_list", _("Strategie"), None),  # strategy.permissions.can_view_strategy: any role
    ("ethics:review_list", _("Ethik"), None),
    ("sharing:overview", _("Datenteilung"), None),
    ("portal:triage_list", _("Datenwünsche und Kommentare"), {Role.STEWARD, Role.GOVERNANCE_ADMIN}),
    ("governance:audit", _("Audit"), {Role.GOVERNANCE_ADMIN}),
]


def navigation(request):
    user = getattr(request, "user", None)
    held = permissions.roles_held_anywhere(user) if user is not None else set()
    if not held:
        return {"staff_navigation": []}
    entries = []
    for url_name, label, allowed in STAFF_NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if allowed is None or allowed & held:
            entries.append({"url": url, "label": label, "active": request.path.startswith(url)})
    # The task inbox lives at the root of the internal area; only mark it on its own page.
    if entries and entries[0]["url"] != request.path:
        entries[0]["active"] = False
    return {"staff_navigation": entries}
