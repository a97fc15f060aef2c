from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Baseline,
    City,
    DailyCount,
    DailyIndex,
    DataFeed,
    DataImport,
    District,
    IndexPolicy,
    Indicator,
    Population,
    Publication,
    Submission,
    Town,
    Unit,
)

LEVEL_COLOURS = {"blue": "#1e6fd9", "yellow": "#e0b000", "orange": "#f07c00", "red": "#d4380d"}


def level_badge(level: str, label: str):
    return format_html(
        '<span style="display:inline-block;min-width:4em;padding:2px 8px;border-radius:4px;'
        'color:#fff;background:{};text-align:center">{}</span>',
        LEVEL_COLOURS.get(level, "#888"),
        label,
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Computed or recorded data: shown, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    list_filter = ["city"]
    search_fields = ["name"]


class PopulationInline(admin.TabularInline):
    model = Population
    extra = 0


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "kind", "code"]
    list_filter = ["district__city", "district", "kind"]
    list_editable = ["kind"]
    search_fields = ["name", "code"]
    inlines = [PopulationInline]


@admin.register(Population)
class PopulationAdmin(admin.ModelAdmin):
    list_display = ["town", "effective_from", "population"]
    list_filter = ["town__district"]
    search_fields = ["town__name"]
    autocomplete_fields = ["town"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position", "active"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "district", "town"]
    list_filter = ["kind", "city", "district"]
    search_fields = ["name"]
    autocomplete_fields = ["town", "district"]
    filter_horizontal = ["indicators"]


@admin.register(DailyCount)
class DailyCountAdmin(ReadOnlyAdmin):
    list_display = ["date", "town", "indicator", "count", "deaths"]
    list_filter = ["indicator", "town__district"]
    date_hierarchy = "date"
    search_fields = ["town__name"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["date", "city", "indicator", "source", "submitted_at"]
    list_filter = ["city", "indicator"]
    date_hierarchy = "date"


@admin.register(DataImport)
class DataImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "imported_at", "rows", "pairs_new", "pairs_replaced", "pairs_unchanged"]


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ["year", "city", "indicator", "source", "display_rate", "events", "resident_days", "note"]
    list_filter = ["year", "city", "source"]

    @admin.display(description=_("rate (per 10,000 residents per day)"))
    def display_rate(self, obj):
        return obj.display_rate


@admin.register(IndexPolicy)
class IndexPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "title", "city", "effective_from", "very_poor_forces_red"]
    save_as = True  # a change to a used policy is saved as a new version

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.publications.exists():
            return [f.name for f in obj._meta.fields]
        return []


@admin.register(DataFeed)
class DataFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "city", "indicator"]
    autocomplete_fields = ["user"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["date", "city", "revision", "policy", "rows_written", "published_at"]
    list_filter = ["city"]
    date_hierarchy = "date"


@admin.register(DailyIndex)
class DailyIndexAdmin(ReadOnlyAdmin):
    list_display = ["date", "scope", "district", "town", "score", "coloured_level", "grades", "revision", "is_current"]
    list_filter = ["level", "scope", "is_current", "district__city", "district"]
    date_hierarchy = "date"
    search_fields = ["town__name", "district__name"]
    list_select_related = ["district", "town"]

    @admin.display(description=_("level"), ordering="level")
    def coloured_level(self, obj):
        return level_badge(obj.level, obj.get_level_display())

    @admin.display(description=_("grades"))
    def grades(self, obj):
        return " / ".join(f"{code}: {item['grade']}" for code, item in obj.items.items())


admin.site.site_header = _("Ping'an accountability engine")
admin.site.site_title = _("Ping'an accountability engine")
admin.site.index_title = _("Administration")
