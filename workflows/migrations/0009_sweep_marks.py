"""The deadline sweep's marks move from three columns of the task to rows of their own (SweepMark),
and the sweep's three partial indexes give way to one index of the owed tasks by deadline."""

import django.db.models.deletion
from django.db import migrations, models

MARKS = {"remind": "reminded_for", "notice": "overdue_notice_for", "propose": "accountability_for"}

COPY = [
    f"INSERT INTO workflows_sweepmark (task_id, step, deadline) "
    f"SELECT id, '{step}', {column} FROM workflows_rectificationtask WHERE {column} IS NOT NULL"
    for step, column in MARKS.items()
]
# Back: a task's column holds the mark of its current deadline, the only one the old sweep read.
COPY_BACK = [
    f"UPDATE workflows_rectificationtask SET {column} = deadline WHERE EXISTS (SELECT 1 FROM workflows_sweepmark m "
    f"WHERE m.task_id = workflows_rectificationtask.id AND m.step = '{step}' AND m.deadline = "
    f"workflows_rectificationtask.deadline)"
    for step, column in MARKS.items()
]


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0008_attachment_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="SweepMark",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "task_id", "step", "deadline", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sweep_marks",
                        to="workflows.rectificationtask",
                        verbose_name="rectification task",
                    ),
                ),
                (
                    "step",
                    models.CharField(
                        choices=[
                            ("remind", "reminder"),
                            ("notice", "supervision notice"),
                            ("propose", "accountability proposal"),
                        ],
                        max_length=10,
                        verbose_name="step",
                    ),
                ),
                ("deadline", models.DateField(verbose_name="deadline")),
            ],
            options={
                "verbose_name": "deadline sweep mark",
                "verbose_name_plural": "deadline sweep marks",
            },
        ),
        migrations.RunSQL(COPY, reverse_sql=COPY_BACK),
        migrations.RemoveIndex(model_name="rectificationtask", name="task_to_remind"),
        migrations.RemoveIndex(model_name="rectificationtask", name="task_to_notice"),
        migrations.RemoveIndex(model_name="rectificationtask", name="task_to_propose"),
        migrations.RemoveField(model_name="rectificationtask", name="accountability_for"),
        migrations.RemoveField(model_name="rectificationtask", name="overdue_notice_for"),
        migrations.RemoveField(model_name="rectificationtask", name="reminded_for"),
        migrations.AddIndex(
            model_name="rectificationtask",
            index=models.Index(
                condition=models.Q(("state__in", ("assigned", "accepted", "returned"))),
                fields=["deadline", "id", "case"],
                name="task_owed",
            ),
        ),
    ]
