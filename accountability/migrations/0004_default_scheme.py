from django.db import migrations


def forwards(apps, schema_editor):
    from accountability.defaults import install_default_scheme

    install_default_scheme(apps.get_model("accountability", "EvaluationScheme"))


class Migration(migrations.Migration):
    dependencies = [("accountability", "0003_evaluationscheme_evaluation_manualadjustment_and_more")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
