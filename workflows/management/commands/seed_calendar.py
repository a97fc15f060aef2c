from django.core.management.base import BaseCommand

from workflows.calendar_seed import install_calendar
from workflows.models import CalendarDay, CalendarYear


class Command(BaseCommand):
    help = "Add the years of public holidays and make-up working days that the chinese-calendar package knows."

    def handle(self, *args, **options):
        years = install_calendar(CalendarYear, CalendarDay)
        self.stdout.write(
            f"added {', '.join(map(str, years))}" if years else "the calendar already has every year the package knows"
        )
