from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pingan.errors import DomainError
from workflows.admin import TransitionAdminMixin

from . import services
from .models import AccountabilityRecord, Evaluation, EvaluationScheme, ManualAdjustment
from .services import evaluations


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


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "title", "city", "effective_from", "veto_cap"]
    save_as = True

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.evaluations.exclude(state__in=["draft", "computed"]).exists():
            return [f.name for f in obj._meta.fields]  # in use by leadership's results: a change is a new version
        return []


@admin.register(ManualAdjustment)
class ManualAdjustmentAdmin(admin.ModelAdmin):
    list_display = ["unit", "date", "points", "finding", "author"]
    list_filter = ["unit__kind"]
    search_fields = ["unit__name", "finding"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["author", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(Evaluation)
class EvaluationAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["period", "group", "unit", "score", "rank", "group_size", "state", "recommendation", "vetoed"]
    list_filter = ["period", "group", "state", "recommendation", "unit__kind"]
    search_fields = ["unit__name"]
    ordering = ["-period_start", "group", "unit__kind", "rank"]
    fields = [
        "unit",
        "period",
        "group",
        "scheme",
        "state",
        "score",
        "rank",
        "group_size",
        "vetoed",
        "recommendation",
        "computed_at",
        "trace",
    ]
    readonly_fields = fields
    id_keyword = "evaluation_id"
    transition_services = {
        "submit_for_review": (evaluations.evaluation_submit_for_review, "comment"),
        "send_back": (evaluations.evaluation_send_back, "reason"),
        "approve": (evaluations.evaluation_approve, "comment"),
        "publish": (evaluations.evaluation_publish, "comment"),
    }
    actions = ["export_xlsx", "submit_for_review", "approve", "publish"]

    def has_add_permission(self, request):
        return False  # drafted and computed per period

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("where each number comes from"))
    def trace(self, obj):
        return render_to_string("admin/accountability/evaluation_trace.html", {"components": obj.components})

    @admin.action(description=_("export the selected periods to XLSX"))
    def export_xlsx(self, request, queryset):
        periods = sorted(set(queryset.values_list("period", flat=True)))
        if len(periods) != 1:
            self.message_user(request, _("select evaluations of one period"), messages.ERROR)
            return None
        return redirect(f"{reverse('evaluations-export')}?period={periods[0]}&format=xlsx")

    def _bulk(self, request, queryset, service):
        done = 0
        for evaluation in queryset:
            try:
                done += service(evaluation_id=evaluation.pk, user=request.user).log is not None
            except DomainError as exc:
                self.message_user(request, f"{evaluation}: {exc}", messages.ERROR)
        self.message_user(request, _("%(n)s evaluation(s) done") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("submit for review"))
    def submit_for_review(self, request, queryset):
        self._bulk(request, queryset, evaluations.evaluation_submit_for_review)

    @admin.action(description=_("approve"))
    def approve(self, request, queryset):
        self._bulk(request, queryset, evaluations.evaluation_approve)

    @admin.action(description=_("publish"))
    def publish(self, request, queryset):
        self._bulk(request, queryset, evaluations.evaluation_publish)
