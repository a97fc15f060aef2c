from pingan.services.counts import import_counts, recompute_published

from ._base import DomainCommand, existing_file


class Command(DomainCommand):
    help = (
        "Import daily counts from a CSV/XLSX file (date,town,indicator,count,deaths). Every (date, indicator) "
        "in the file is declared complete; towns absent for it had no events. Any bad row rejects the whole file. "
        "Dates already published are recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--city", help="the city the file is for (needed when there are several)")

    def handle(self, *args, file, city=None, **options):
        result = import_counts(existing_file(file), city=city)
        if not result.changed:
            self.stdout.write(
                f"{file}: {result.rows} row(s), {result.pairs_unchanged} date-indicator pair(s) unchanged; "
                "nothing stored"
            )
            return
        self.stdout.write(
            f"{file}: {result.rows} row(s) stored; date-indicator pairs: {result.pairs_new} new, "
            f"{result.pairs_replaced} replaced, {result.pairs_unchanged} unchanged"
        )
        for report in recompute_published(result.city, result.changed_dates):
            for outcome in report.published:
                written = outcome.rows_written
                self.stdout.write(
                    f"{report.day}: recomputed, {written} row(s) changed"
                    if written
                    else f"{report.day}: recomputed, unchanged"
                )
            for problem in report.problems.get(result.city.name, []):
                self.stderr.write(f"{report.day}: cannot be recomputed: {problem}")
