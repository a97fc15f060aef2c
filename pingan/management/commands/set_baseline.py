from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from pingan.models import Indicator
from pingan.services.baselines import set_manual_baseline
from pingan.services.counts import resolve_city

from ._base import DomainCommand


def decimal(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CommandError(f"bad rate {value!r}: expected a decimal number") from None


class Command(DomainCommand):
    help = "Enter a baseline by hand: events per 10,000 residents per day for an indicator and year."

    def add_arguments(self, parser):
        parser.add_argument("--indicator", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--rate", type=decimal, required=True)
        parser.add_argument("--city")
        parser.add_argument("--note", default="")

    def handle(self, *args, indicator, year, rate, city=None, note="", **options):
        try:
            indicator = Indicator.objects.get(code=indicator)
        except Indicator.DoesNotExist:
            raise CommandError(f"unknown indicator {indicator!r}") from None
        baseline = set_manual_baseline(resolve_city(city), indicator, year, rate, note)
        self.stdout.write(f"baseline set: {baseline}")
