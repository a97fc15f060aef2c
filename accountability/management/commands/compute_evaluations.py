from django.core.management.base import CommandError

from accountability.evaluation_rules import Period, PeriodError
from accountability.services.evaluations import compute_evaluations
from pingan.management.commands._base import DomainCommand
from pingan.services.counts import resolve_city


def period(value: str) -> Period:
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise CommandError(str(exc)) from exc


class Command(DomainCommand):
    help = (
        "Draft and compute the evaluations of a period (2026-11, 2026-Q4 or 2026). Running it again changes "
        "nothing; evaluations under review, approved or published are never changed (the command says which "
        "would have changed, and fails)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=period, required=True)
        parser.add_argument("--city", help="only this city (default: every city)")

    def handle(self, *args, period, city=None, **options):
        refused = []
        for report in compute_evaluations(period, city=resolve_city(city) if city else None):
            self.stdout.write(
                f"{period.label}: {report.created} new, {report.updated} recomputed, {report.unchanged} unchanged"
            )
            refused += report.refused
        if refused:
            raise CommandError("\n".join(refused))
