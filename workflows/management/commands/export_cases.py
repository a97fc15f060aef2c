import csv

from django.core.management.base import BaseCommand

from workflows.models import Case
from workflows.selectors import open_tasks


class Command(BaseCommand):
    help = "Write every case as CSV to standard output: town,level,stage,opened_on,escalation_level,…"

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv"], default="csv")

    def handle(self, *args, **options):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(
            ["town", "level", "stage", "opened_on", "escalation_level", "district", "days", "open_tasks", "ended_at"]
        )
        cases = Case.objects.select_related("town__district").order_by("opened_on", "id")
        for case in cases.iterator():
            writer.writerow(
                [
                    case.town.name,
                    case.level,
                    case.stage,
                    case.opened_on.isoformat(),
                    case.escalation_level,
                    case.town.district.name,
                    case.days.count(),
                    open_tasks(case).count(),
                    case.ended_at.isoformat() if case.ended_at else "",
                ]
            )
