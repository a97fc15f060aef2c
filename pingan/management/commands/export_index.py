from django.core.management.base import CommandError

from pingan.exports import write_index_csv
from pingan.models import DailyIndex
from pingan.services.counts import resolve_city

from ._base import DomainCommand, iso_date


class Command(DomainCommand):
    help = "Write a day's published index as CSV to standard output, one row per town and per district."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, required=True)
        parser.add_argument("--format", choices=["csv"], default="csv")
        parser.add_argument("--city", help="only this city (default: every city)")

    def handle(self, *args, date, city=None, **options):
        city = resolve_city(city) if city else None
        if not DailyIndex.objects.current().filter(date=date).exists():
            raise CommandError(f"{date} has no published index: run compute_index --date {date} first")
        write_index_csv(self.stdout, date, city)
