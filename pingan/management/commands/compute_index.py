import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from pingan.services.counts import resolve_city
from pingan.services.publication import publish_range

from ._base import DomainCommand, iso_date


class Command(DomainCommand):
    help = (
        "Compute and publish the Ping'an index of a day (--date) or of days (--from/--to). "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date)
        parser.add_argument("--from", dest="first", type=iso_date)
        parser.add_argument("--to", dest="last", type=iso_date)
        parser.add_argument("--city", help="only this city (default: every city)")

    def handle(self, *args, date=None, first=None, last=None, city=None, **options):
        if date and (first or last):
            raise CommandError("give either --date or --from/--to, not both")
        if date:
            first = last = date
        elif first:
            last = last or timezone.localdate() - datetime.timedelta(days=1)
        else:
            raise CommandError("give --date YYYY-MM-DD, or --from YYYY-MM-DD [--to YYYY-MM-DD]")
        cities = [resolve_city(city)] if city else None
        failed = []
        total = (last - first).days + 1
        for n, report in enumerate(publish_range(first, last, cities=cities), start=1):
            for outcome in report.published:
                levels = " ".join(f"{k}={v}" for k, v in sorted(outcome.levels.items()))
                state = (
                    f"published revision {outcome.publication.revision}, {outcome.rows_written} row(s) written"
                    if outcome.publication
                    else "already published, unchanged"
                )
                self.stdout.write(
                    f"[{n}/{total}] {report.day} {outcome.city}: {outcome.towns} towns, {levels}; {state}"
                )
            for city_name, problems in report.problems.items():
                failed.append(report.day)
                for problem in problems:
                    self.stderr.write(f"[{n}/{total}] {report.day} {city_name}: {problem}")
        if failed:
            days = sorted(set(failed))
            raise CommandError(f"{len(days)} day(s) could not be scored: {', '.join(map(str, days[:20]))}")
