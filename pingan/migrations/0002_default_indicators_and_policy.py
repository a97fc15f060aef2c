"""The default indicators and the "zhuhai-2014" policy of DESIGN.md §3."""

from django.db import migrations


def forwards(apps, schema_editor):
    from pingan.defaults import install_defaults

    install_defaults(apps.get_model("pingan", "Indicator"), apps.get_model("pingan", "IndexPolicy"))


class Migration(migrations.Migration):
    dependencies = [("pingan", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
