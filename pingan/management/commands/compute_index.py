import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from pingan.services.backfill import days_between, publish_days
from pingan.services.counts import resolve_city

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
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="publish the days in this many processes side by side (a backfill of history; cases are "
            "then not opened: that needs the days in order)",
        )
        parser.add_argument(
            "--no-cases", action="store_true", help="publish only, open no cases (a backfill of history)"
        )

    def handle(self, *args, date=None, first=None, last=None, city=None, workers=1, no_cases=False, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
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
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}")
        days = days_between(first, last)
        total = len(days)
        if workers > 1 and total > 1 and not no_cases:
            self.stderr.write(f"{workers} workers: publishing only; cases are opened by a run with one worker")
        reports = publish_days(days, workers=workers, cities=cities, open_cases=not no_cases)
        for n, report in enumerate(reports, start=1):
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
