"""Admin for the workflow: transition buttons that call the services, the log inline, the calendar."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pingan.admin import ReadOnlyAdmin, level_badge
from pingan.errors import DomainError

from .labels import action_label
from .models import (
    CalendarDay,
    CalendarYear,
    Case,
    CaseDay,
    CaseOwner,
    ExtensionRequest,
    Notice,
    Notification,
    RectificationTask,
    TaskAttachment,
    TransitionLog,
)
from .services import cases as case_services
from .services import rectification as task_services


class TransitionForm(forms.Form):
    comment = forms.CharField(label=_("comment or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TransitionAdminMixin:
    """Buttons for the transitions the user may take now; each calls its service with a comment.

    `transition_services` maps a transition name to (service, keyword for the comment)."""

    change_form_template = "admin/workflows/transition_change_form.html"
    transition_services: dict = {}
    state_field = "state"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            )
        ] + super().get_urls()

    def available_transitions(self, obj, user) -> list[tuple[str, str]]:
        """Transitions from the current state that the user may take; a failing guard is explained on click."""
        state = getattr(obj, self.state_field)
        found = getattr(obj, f"get_all_{self.state_field}_transitions")()
        return [
            (t.name, action_label(t.name))
            for t in found
            if t.source in (state, "*") and t.name in self.transition_services and t.has_perm(obj, user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = extra_context or {}
        if obj is not None:
            extra["transitions"] = self.available_transitions(obj, request.user) + self.extra_actions(obj, request.user)
            extra["transition_form"] = TransitionForm()
            extra["transition_url"] = f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_transition"
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def extra_actions(self, obj, user) -> list[tuple[str, str]]:
        return []

    def transition_view(self, request, object_id, name):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        back = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change", args=[obj.pk])
        if request.method != "POST" or name not in self.transition_services:
            return redirect(back)
        form = TransitionForm(request.POST)
        form.is_valid()
        service, keyword = self.transition_services[name]
        try:
            service(**{self.id_keyword: obj.pk, "user": request.user, keyword: form.cleaned_data.get("comment", "")})
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("Done: %(action)s") % {"action": action_label(name)}, messages.SUCCESS)
        return redirect(back)


def sees_everything(user) -> bool:
    """The office and leadership see every case; everyone else sees their own units' work."""
    from pingan.roles import LEADERSHIP, SAFETY_OFFICE

    return user.is_superuser or user.groups.filter(name__in=[SAFETY_OFFICE, LEADERSHIP]).exists()


class ReadOnlyInline(admin.TabularInline):
    """Rows a case or task shows but that change only through services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class LogInline(ReadOnlyInline):
    model = TransitionLog
    fk_name = "case"
    fields = ["at", "actor", "subject", "subject_id", "transition", "source", "target", "comment"]


class TaskLogInline(LogInline):
    fk_name = "task"


class CaseOwnerInline(ReadOnlyInline):
    model = CaseOwner
    fields = ["unit", "role", "acknowledged_at", "acknowledged_by"]


class CaseDayInline(ReadOnlyInline):
    model = CaseDay
    fields = ["date", "level"]


class TaskInline(ReadOnlyInline):
    model = RectificationTask
    fields = ["title", "owner", "deadline", "state"]
    show_change_link = True


class TaskCreateForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, label=_("owner"))
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Case)
class CaseAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["town", "coloured_level", "stage", "opened_on", "escalation_level", "days_attached"]
    list_filter = ["stage", "level", "town__district__city", "town__district"]
    search_fields = ["town__name"]
    date_hierarchy = "opened_on"
    fields = ["town", "level", "stage", "opened_on", "escalation_level", "enter_accountability", "analysis", "ended_at"]
    readonly_fields = ["town", "level", "stage", "opened_on", "escalation_level", "enter_accountability", "ended_at"]
    inlines = [CaseOwnerInline, CaseDayInline, TaskInline, LogInline]
    state_field = "stage"
    id_keyword = "case_id"
    transition_services = {
        "start_analysis": (case_services.case_start_analysis, "comment"),
        "force_analysis": (case_services.case_force_analysis, "reason"),
        "issue_warning": (case_services.case_issue_warning, "comment"),
        "start_supervision": (case_services.case_start_supervision, "comment"),
        "close": (case_services.case_close, "comment"),
        "hold_accountable": (case_services.case_hold_accountable, "comment"),
        "close_after_accountability": (case_services.case_close_after_accountability, "comment"),
        "cancel": (case_services.case_cancel, "reason"),
        "acknowledge": (case_services.case_acknowledge, "comment"),
        "file_analysis": (case_services.case_file_analysis, "report"),
    }

    def get_queryset(self, request):
        cases = super().get_queryset(request).select_related("town")
        if sees_everything(request.user):
            return cases
        return cases.filter(owners__unit__members=request.user).distinct()

    def extra_actions(self, obj, user):
        actions = []
        if (
            obj.stage == Case.Stage.MOBILIZE
            and obj.owners.filter(unit__members=user, acknowledged_at__isnull=True).exists()
        ):
            actions.append(("acknowledge", action_label("acknowledge")))
        if obj.stage == Case.Stage.ANALYZE:
            actions.append(("file_analysis", action_label("file_analysis")))
        return actions

    def has_add_permission(self, request):
        return False  # cases are opened by the published index

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # the analysis is filed through its action, so it is logged

    @admin.display(description=_("opening level"), ordering="level")
    def coloured_level(self, obj):
        return level_badge(obj.level, obj.get_level_display())

    @admin.display(description=_("days"))
    def days_attached(self, obj):
        return obj.days.count()

    def get_urls(self):
        return [
            path(
                "<int:object_id>/add-task/",
                self.admin_site.admin_view(self.add_task_view),
                name="workflows_case_add_task",
            )
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = extra_context or {}
        if obj is not None and obj.stage in (Case.Stage.WARN, Case.Stage.SUPERVISE):
            form = TaskCreateForm()
            form.fields["owner"].queryset = obj.town.district.city.units.all()
            extra["task_form"] = form
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def add_task_view(self, request, object_id):
        case = get_object_or_404(Case, pk=object_id)
        form = TaskCreateForm(request.POST or None)
        form.fields["owner"].queryset = case.town.district.city.units.all()
        if request.method == "POST" and form.is_valid():
            try:
                task_services.task_create(case_id=case.pk, user=request.user, **form.cleaned_data)
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Task assigned"), messages.SUCCESS)
        elif request.method == "POST":
            self.message_user(
                request, _("Task not assigned: %(errors)s") % {"errors": form.errors.as_text()}, messages.ERROR
            )
        return redirect(reverse("admin:workflows_case_change", args=[case.pk]))


class AttachmentInline(ReadOnlyInline):
    model = TaskAttachment
    fields = ["file", "uploaded_by", "uploaded_at"]


class ExtensionInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = ["working_days", "reason", "state", "requested_by", "old_deadline", "new_deadline", "decision_comment"]
    show_change_link = True


@admin.register(RectificationTask)
class RectificationTaskAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["title", "owner", "case", "deadline", "state", "kind"]
    list_filter = ["state", "kind", "owner__kind"]
    search_fields = ["title", "owner__name", "case__town__name"]
    date_hierarchy = "deadline"
    fields = ["case", "owner", "kind", "title", "description", "deadline", "state", "report", "return_reason"]
    inlines = [AttachmentInline, ExtensionInline, TaskLogInline]
    id_keyword = "task_id"
    transition_services = {
        "accept": (task_services.task_accept, "comment"),
        "submit": (task_services.task_submit, "report"),
        "verify": (task_services.task_verify, "comment"),
        "send_back": (task_services.task_return, "reason"),
    }

    def get_queryset(self, request):
        tasks = super().get_queryset(request).select_related("owner", "case__town")
        if sees_everything(request.user):
            return tasks
        return tasks.filter(owner__members=request.user)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False  # assigned from the case

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedToOwnWork:
    """Everyone but the office and leadership sees only what concerns their own units."""

    own_work_filter = ""  # a lookup from the model to the units whose members may see the row

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if sees_everything(request.user):
            return rows
        return rows.filter(**{self.own_work_filter: request.user}).distinct()


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ScopedToOwnWork, admin.ModelAdmin):
    own_work_filter = "task__owner__members"
    list_display = ["task", "working_days", "state", "requested_by", "requested_at", "new_deadline"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in ExtensionRequest._meta.fields]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("approve the extension"))
    def approve(self, request, queryset):
        self._decide(request, queryset, task_services.extension_approve, "comment")

    @admin.action(description=_("refuse the extension (reason: “refused by the office”)"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, task_services.extension_refuse, "reason")

    def _decide(self, request, queryset, service, keyword):
        for request_obj in queryset:
            try:
                service(
                    request_id=request_obj.pk,
                    user=request.user,
                    **{keyword: _("refused by the office") if keyword == "reason" else ""},
                )
            except DomainError as exc:
                self.message_user(request, f"{request_obj}: {exc}", messages.ERROR)


@admin.register(TransitionLog)
class TransitionLogAdmin(ScopedToOwnWork, ReadOnlyAdmin):
    own_work_filter = "case__owners__unit__members"
    list_display = ["at", "case", "subject", "subject_id", "transition", "source", "target", "actor", "comment"]
    list_filter = ["subject", "transition"]
    search_fields = ["case__town__name", "comment"]


@admin.register(Notice)
class NoticeAdmin(ScopedToOwnWork, ReadOnlyAdmin):
    own_work_filter = "case__owners__unit__members"
    list_display = ["document_number", "kind", "case", "issued_at", "printable"]
    list_filter = ["kind", "year"]
    search_fields = ["case__town__name"]

    @admin.display(description=_("print"))
    def printable(self, obj):
        return format_html('<a href="{}" target="_blank">{}</a>', reverse("notice-print", args=[obj.pk]), _("print"))


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "delivered_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title"]

    def get_queryset(self, request):
        """An inbox is its owner's alone, whoever else may administer."""
        notifications = super().get_queryset(request)
        return notifications if request.user.is_superuser else notifications.filter(recipient=request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "note"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
