from pingan.services.regions import import_regions

from ._base import DomainCommand, existing_file


class Command(DomainCommand):
    help = (
        "Import cities, districts and towns with populations from a CSV/XLSX file "
        "(city,district,town,population,effective_from)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        result = import_regions(existing_file(file))
        self.stdout.write(
            f"{file}: {result.cities} new city(ies), {result.districts} district(s), {result.towns} town(s), "
            f"{result.units} unit(s); {result.populations_added} population record(s) added, "
            f"{result.populations_changed} changed"
        )
