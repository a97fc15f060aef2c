from django.contrib.auth import get_user_model

from pingan.demo import CITY, seed_demo
from pingan.models import City
from workflows.demo import PASSWORD, create_people, evaluate_last_month, walk_cases

from ._base import DomainCommand

DEMO_USER, DEMO_PASSWORD = "admin", "admin"


class Command(DomainCommand):
    help = "Load Zhuhai's demo data (regions, a history of counts, recent days in every colour) and publish it."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="how many recent days to publish (default 90)")

    def handle(self, *args, days, **options):
        result = seed_demo(publish_days=days, progress=self.stdout.write)
        self.stdout.write(
            f"demo data: {result.days_generated} day(s) generated ({result.counts} count rows), "
            f"{result.published_days} day(s) published"
        )
        User = get_user_model()
        if not User.objects.filter(username=DEMO_USER).exists():
            User.objects.create_superuser(DEMO_USER, "admin@example.org", DEMO_PASSWORD)
            self.stdout.write(f"demo superuser created: {DEMO_USER} / {DEMO_PASSWORD} (change it outside a demo)")
        city = City.objects.get(name=CITY)
        created = create_people(city)
        if created:
            self.stdout.write(
                f"demo users (password {PASSWORD!r}): {', '.join(sorted(u for u in created if not u.startswith('unit')))} …"
            )
        stages = walk_cases(city, progress=self.stdout.write)
        if stages:
            self.stdout.write("demo cases by stage: " + ", ".join(f"{k}={v}" for k, v in sorted(stages.items())))
        period = evaluate_last_month(city)
        self.stdout.write(f"demo evaluations computed for {period.label}")
