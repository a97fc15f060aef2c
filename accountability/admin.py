from django.contrib import admin

from workflows.admin import TransitionAdminMixin

from . import services
from .models import AccountabilityRecord


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["target_unit", "measure", "state", "origin", "case", "proposed_at"]
    list_filter = ["state", "measure", "origin"]
    search_fields = ["target_unit__name", "leader_name", "case__town__name"]
    fields = [
        "case",
        "target_unit",
        "leader_name",
        "leader_post",
        "measure",
        "state",
        "origin",
        "grounds",
        "dismissal_reason",
        "proposed_at",
        "proposed_by",
        "decided_at",
        "executed_at",
        "tasks",
    ]
    id_keyword = "record_id"
    transition_services = {
        "approve": (services.record_approve, "comment"),
        "dismiss": (services.record_dismiss, "reason"),
        "execute": (services.record_execute, "comment"),
    }

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields if f not in ("leader_name", "leader_post")] if obj else []

    def has_add_permission(self, request):
        return False  # proposed by the escalation rules, the sweep or the office's service

    def has_delete_permission(self, request, obj=None):
        return False
