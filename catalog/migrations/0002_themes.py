from django.db import migrations

THEME_CODES = ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN"]


def create_themes(apps, schema_editor):
    Theme = apps.get_model("catalog", "Theme")
    for code in THEME_CODES:
        Theme.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_themes, migrations.RunPython.noop)]
