from django.core.management.base import BaseCommand

from workflows.diagrams import state_machines_markdown


class Command(BaseCommand):
    help = "Print the state machines of cases, tasks and accountability records as Mermaid diagrams."

    def handle(self, *args, **options):
        self.stdout.write(state_machines_markdown(), ending="")
