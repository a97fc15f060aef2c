from django.core.management.base import BaseCommand

from pingan.roles import install_roles


class Command(BaseCommand):
    help = "Create or refresh the role groups (safety_office, leadership, town_official, police_station, department)."

    def handle(self, *args, **options):
        for name, count in install_roles().items():
            self.stdout.write(f"{name}: {count} permission(s)")
