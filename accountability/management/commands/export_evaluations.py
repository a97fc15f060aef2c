import sys

from django.core.management.base import CommandError

from accountability.exports import write_csv, write_xlsx
from accountability.models import Evaluation
from pingan.management.commands._base import DomainCommand
from pingan.services.counts import resolve_city

from .compute_evaluations import period


class Command(DomainCommand):
    help = (
        "Write a period's evaluations (unit,group,score,rank,status,…) as CSV or XLSX to standard output or --output."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=period, required=True)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="a file to write (default: standard output)")
        parser.add_argument("--city")

    def handle(self, *args, period, format, output=None, city=None, **options):
        cities = [resolve_city(city).pk] if city else None
        if not Evaluation.objects.filter(period_kind=period.kind, period_start=period.start).exists():
            raise CommandError(
                f"{period.label} has no evaluations: run compute_evaluations --period {period.label} first"
            )
        if format == "csv":
            if output:
                with open(output, "w", newline="", encoding="utf-8") as f:
                    write_csv(f, period, cities)
            else:
                write_csv(self.stdout, period, cities)
        elif output:
            with open(output, "wb") as f:
                write_xlsx(f, period, cities)
        else:
            write_xlsx(sys.stdout.buffer, period, cities)
