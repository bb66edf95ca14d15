"""The CKAN Action API (read side): /api/3/action/<name> and /api/action/<name>."""

app_name = "ckan"

urlpatterns = []
