from django.db import migrations


def forwards(apps, schema_editor):
    from workflows.calendar_seed import install_calendar

    install_calendar(apps.get_model("workflows", "CalendarYear"), apps.get_model("workflows", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
