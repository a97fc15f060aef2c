"""REST API of the case workflow. Reads are scoped to what the user may see; every change is a
`POST …/<id>/<transition>/` that runs the transition's service."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict

import django_filters
from django.db.models import BooleanField, CharField, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pingan.access import access_of
from pingan.api_base import WORKFLOW_PERMISSIONS, transition
from pingan.api_rows import ValueRows
from pingan.models import Town, Unit
from pingan.page_columns import PageColumns, ScopedRows, VendorSQL

from .kept import PageKeeper
from .models import (
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
from .selectors import task_scope, visible_tasks
from .services import cases as case_services
from .services import rectification


class CaseOwnerSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = CaseOwner
        fields = ["unit", "unit_name", "role", "acknowledged_at"]


class CaseSerializer(serializers.ModelSerializer):
    town_name = serializers.CharField(source="town.name", read_only=True)
    owners = CaseOwnerSerializer(many=True, read_only=True)
    days = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "town",
            "town_name",
            "level",
            "stage",
            "opened_on",
            "escalation_level",
            "enter_accountability",
            "analysis",
            "owners",
            "days",
            "created_at",
            "ended_at",
        ]
        read_only_fields = fields

    def get_days(self, case) -> list[str]:
        return [d.date.isoformat() for d in case.days.all()]  # prefetched by the viewset: no query per case


def _page_of_rows(view, rows: QuerySet | ScopedRows, write, keeper: PageKeeper | None = None):
    """The list action of a viewset whose page is written from `.values()` rows (pingan.api_rows): `rows`,
    a PageColumns' copy scoped to the user and filtered as the request asks, or its rows read by a
    statement compiled once (ScopedRows); `write`, what writes a page of them; `keeper`, what keeps the
    written pages (workflows.kept), if they are kept."""
    page = view.paginator.paginate_queryset(rows, view.request, view=view, write=write, keeper=keeper)
    if page is None:
        return Response(write(list(rows.queryset() if isinstance(rows, ScopedRows) else rows)))
    return view.get_paginated_response(page)


def _per_row(model, sql: str, output_field, sqlite: str | None = None) -> RawSQL:
    """A column of a page of `model`'s rows read by a subquery per row, written in SQL: in `sql`, `{row}`
    is the row's table, and `{Case}`, `{CaseDay}`, `{CaseOwner}`, `{TaskAttachment}`, `{Town}`, `{Unit}`
    those models' tables; `sqlite`, the same on SQLite where its SQL differs.

    Names are read by a subquery per row rather than joined: PostgreSQL plans the page's join of three
    or four tables in 3–6 ms (for a query that runs in 0.5 ms), a subquery per name in 0.2 ms. And in
    SQL rather than the ORM's Subquery, which took longer to copy, resolve and compile on every request
    (0.6 ms a task page) than the database to run it. The pages' JSON is the serializers' all the same
    (tests/api/test_lists.py)."""
    tables = {m.__name__: m._meta.db_table for m in (Case, CaseDay, CaseOwner, TaskAttachment, Town, Unit)}
    row = f'"{model._meta.db_table}"'
    if sqlite is not None:
        sqlite = sqlite.format(row=row, **tables)
    return VendorSQL(sql.format(row=row, **tables), [], output_field, sqlite)


# A case's owners and days, each read as one JSON array in text, in no order (case_rows orders them):
# [[role, unit id, unit name, acknowledged at], …] and [date, …]. PostgreSQL's json_agg of no rows is
# NULL, SQLite's json_group_array '[]'.
_OWNERS = (
    "SELECT {agg}({array}(o.role, o.unit_id, u.name, o.acknowledged_at)){text}"
    " FROM {{CaseOwner}} o JOIN {{Unit}} u ON u.id = o.unit_id WHERE o.case_id = {{row}}.id"
)
_DAYS = "SELECT {agg}(d.date){text} FROM {{CaseDay}} d WHERE d.case_id = {{row}}.id"
_POSTGRESQL_JSON = {"agg": "json_agg", "array": "json_build_array", "text": "::text"}
_SQLITE_JSON = {"agg": "json_group_array", "array": "json_array", "text": ""}


def _json_of_case(sql: str) -> RawSQL:
    return _per_row(Case, sql.format(**_POSTGRESQL_JSON), TextField(), sqlite=sql.format(**_SQLITE_JSON))


CASE_COLUMNS = {
    "town_name": _per_row(Case, "SELECT name FROM {Town} WHERE id = {row}.town_id", CharField()),
    "owners_json": _json_of_case(_OWNERS),
    "days_json": _json_of_case(_DAYS),
}
CASE_ROWS = ValueRows(CaseSerializer, lookups={"town_name": "town_name"})
CASE_ORDER = ("-opened_on", "-id")
CASE_PAGE = PageColumns(lambda: Case.objects.order_by(*CASE_ORDER), CASE_ROWS, **CASE_COLUMNS)
OWNER_ROWS = ValueRows(CaseOwnerSerializer)


def _stored_datetime(text: str | None) -> datetime.datetime | None:
    """A date and time as the JSON of a case's owners holds it: PostgreSQL's ISO 8601 with its offset
    (the connection's zone is UTC), SQLite's column text (UTC, without an offset)."""
    if text is None:
        return None
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def case_rows(rows: list[dict]) -> list[dict]:
    """A page of `.values(*CASE_ROWS.lookups, *CASE_COLUMNS)` rows as CaseSerializer writes the cases:
    their owners and days come in each row's own JSON (owners_json, days_json), ordered here as the
    models order them."""
    write_owner, write = OWNER_ROWS.writer(), CASE_ROWS.writer()
    out = []
    for row in rows:
        owners = sorted(json.loads(row["owners_json"] or "[]"), key=lambda o: (o[0], o[1]))  # CaseOwner's order
        out.append(
            write(
                row,
                owners=[
                    write_owner(
                        {"unit": unit, "unit__name": name, "role": role, "acknowledged_at": _stored_datetime(at)}
                    )
                    for role, unit, name, at in owners
                ],
                days=sorted(json.loads(row["days_json"] or "[]")),  # ISO dates: in CaseDay's order
            )
        )
    return out


class TaskCreateSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    working_days = serializers.IntegerField(required=False, min_value=1, max_value=60)


class CaseFilter(django_filters.FilterSet):
    opened_after = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = django_filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Case
        fields = ["stage", "level", "town", "town__district"]


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="file.name")
    uploaded_at = serializers.DateTimeField()


class TaskSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    town_name = serializers.CharField(source="case.town.name", read_only=True)
    overdue = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationTask
        fields = [
            "id",
            "case",
            "town_name",
            "owner",
            "owner_name",
            "kind",
            "title",
            "description",
            "deadline",
            "state",
            "overdue",
            "report",
            "return_reason",
            "attachments",
            "created_at",
            "submitted_at",
            "verified_at",
        ]
        read_only_fields = fields

    def get_overdue(self, task) -> bool:
        return task.is_overdue(timezone.localdate())


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Cases (预警处置案件) through mobilize → analyze → warn → supervise → hold accountable."""

    serializer_class = CaseSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_class = CaseFilter
    ordering_fields = ["opened_on", "escalation_level"]

    def get_queryset(self):
        cases = Case.objects.select_related("town").prefetch_related("owners__unit", "days").order_by(*CASE_ORDER)
        return self._scoped(cases)

    def list(self, request, *args, **kwargs):
        return _page_of_rows(self, self.filter_queryset(self._scoped(CASE_PAGE.rows())), case_rows)

    def _scoped(self, cases):
        return access_of(self.request).scope(cases, town="town", units="owners__unit")

    acknowledge = transition(
        "acknowledge", case_services.case_acknowledge, id_keyword="case_id", response=CaseSerializer
    )
    start_analysis = transition(
        "start_analysis", case_services.case_start_analysis, id_keyword="case_id", response=CaseSerializer
    )
    force_analysis = transition(
        "force_analysis",
        case_services.case_force_analysis,
        id_keyword="case_id",
        response=CaseSerializer,
        text="reason",
        required=True,
    )
    file_analysis = transition(
        "file_analysis",
        case_services.case_file_analysis,
        id_keyword="case_id",
        response=CaseSerializer,
        text="report",
        required=True,
    )
    issue_warning = transition(
        "issue_warning", case_services.case_issue_warning, id_keyword="case_id", response=CaseSerializer
    )
    start_supervision = transition(
        "start_supervision", case_services.case_start_supervision, id_keyword="case_id", response=CaseSerializer
    )
    close = transition("close", case_services.case_close, id_keyword="case_id", response=CaseSerializer)
    hold_accountable = transition(
        "hold_accountable", case_services.case_hold_accountable, id_keyword="case_id", response=CaseSerializer
    )
    close_after_accountability = transition(
        "close_after_accountability",
        case_services.case_close_after_accountability,
        id_keyword="case_id",
        response=CaseSerializer,
    )
    cancel = transition(
        "cancel",
        case_services.case_cancel,
        id_keyword="case_id",
        response=CaseSerializer,
        text="reason",
        required=True,
    )

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    @action(detail=True, methods=["post"], url_path="tasks")
    def add_task(self, request, pk=None):
        """The office assigns a rectification task on the case."""
        case = self.get_object()
        data = TaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = rectification.task_create(case_id=case.pk, user=request.user, **data.validated_data)
        return Response(TaskSerializer(task).data, status=201)


class TaskSubmitSerializer(serializers.Serializer):
    report = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ExtensionRequestBody(serializers.Serializer):
    working_days = serializers.IntegerField(min_value=1, max_value=60)
    reason = serializers.CharField()


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "task",
            "working_days",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "old_deadline",
            "new_deadline",
        ]
        read_only_fields = fields


class TaskFilter(django_filters.FilterSet):
    deadline_after = django_filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte")

    class Meta:
        model = RectificationTask
        fields = ["state", "case", "owner", "kind"]


TASK_COLUMNS = {
    "town_name": _per_row(
        RectificationTask,
        # Two lookups by primary key, not a join: PostgreSQL plans the page's statement in 0.10 ms, not 0.16.
        "SELECT name FROM {Town} WHERE id = (SELECT town_id FROM {Case} WHERE id = {row}.case_id)",
        CharField(),
    ),
    "owner_name": _per_row(RectificationTask, "SELECT name FROM {Unit} WHERE id = {row}.owner_id", CharField()),
    "has_attachments": _per_row(
        RectificationTask, "EXISTS (SELECT 1 FROM {TaskAttachment} WHERE task_id = {row}.id)", BooleanField()
    ),
}
TASK_ROWS = ValueRows(TaskSerializer, lookups={"town_name": "town_name", "owner_name": "owner_name"})
TASK_ORDER = ("deadline", "id")
TASK_PAGE = PageColumns(lambda: RectificationTask.objects.order_by(*TASK_ORDER), TASK_ROWS, **TASK_COLUMNS)
ATTACHMENT_ROWS = ValueRows(AttachmentSerializer, lookups={"name": "file"})


def task_rows(rows: list[dict], today: datetime.date) -> list[dict]:
    """A page of `.values(*TASK_ROWS.lookups, "has_attachments")` rows as TaskSerializer writes the
    tasks on `today` (overdue or not): one query for the attachments, if any task of the page has some
    (a task has none before its first submission: most open tasks)."""
    attachments = defaultdict(list)
    attached = [row["id"] for row in rows if row["has_attachments"]]
    if attached:
        found = TaskAttachment.objects.filter(task_id__in=attached)
        write_attachment = ATTACHMENT_ROWS.writer()
        for attachment in found.values("task_id", *ATTACHMENT_ROWS.lookups):
            attachments[attachment["task_id"]].append(write_attachment(attachment))
    write = TASK_ROWS.writer()
    return [
        write(
            row,
            overdue=RectificationTask.overdue(row["state"], row["deadline"], today),
            attachments=attachments[row["id"]],
        )
        for row in rows
    ]


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Rectification tasks (整改任务): assigned → accepted → submitted → verified, or returned for rework."""

    serializer_class = TaskSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_class = TaskFilter
    ordering_fields = ["deadline", "created_at"]

    def get_queryset(self):
        tasks = RectificationTask.objects.select_related("owner", "case__town").prefetch_related("attachments")
        return visible_tasks(access_of(self.request), tasks.order_by(*TASK_ORDER))

    def list(self, request, *args, **kwargs):
        """A city-wide user's pages are kept until the workflow of their cities moves (workflows.kept). A
        page asked for with no filter and no order is read by a statement compiled once, the user's scope
        written into it where it is one SQL condition (workflows.selectors.task_scope)."""
        access, today = access_of(request), timezone.localdate()
        keeper = PageKeeper.of(access, today)  # kept for the day the rows are written for
        every = TASK_PAGE.rows()
        filtered = self.filter_queryset(every)  # the very queryset given when nothing is asked for
        scope = task_scope(access) if filtered is every else None
        visible = visible_tasks(access, filtered) if scope is None else TASK_PAGE.reader(scope)
        return _page_of_rows(self, visible, lambda rows: task_rows(rows, today), keeper)

    accept = transition("accept", rectification.task_accept, id_keyword="task_id", response=TaskSerializer)
    verify = transition("verify", rectification.task_verify, id_keyword="task_id", response=TaskSerializer)
    send_back = transition(
        "send_back",
        rectification.task_return,
        id_keyword="task_id",
        response=TaskSerializer,
        text="reason",
        required=True,
    )

    @extend_schema(request=TaskSubmitSerializer, responses={200: TaskSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="submit",
        parser_classes=[parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser],
    )
    def submit(self, request, pk=None):
        """The owner submits the rectification report, with attachments (multipart `files`)."""
        task = self.get_object()
        data = TaskSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        rectification.task_submit(task_id=task.pk, user=request.user, report=data.validated_data["report"], files=files)
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(request=ExtensionRequestBody, responses={201: ExtensionSerializer})
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, pk=None):
        """The owner asks the office for more working days."""
        task = self.get_object()
        data = ExtensionRequestBody(data=request.data)
        data.is_valid(raise_exception=True)
        extension = rectification.task_request_extension(task_id=task.pk, user=request.user, **data.validated_data)
        return Response(ExtensionSerializer(extension).data, status=201)


class ExtensionViewSet(viewsets.ReadOnlyModelViewSet):
    """Extension requests; the office approves (the deadline moves in working days) or refuses."""

    serializer_class = ExtensionSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["state", "task"]

    def get_queryset(self):
        requests = ExtensionRequest.objects.order_by("-requested_at")
        return access_of(self.request).scope(requests, town="task__case__town", units="task__owner")

    approve = transition(
        "approve", rectification.extension_approve, id_keyword="request_id", response=ExtensionSerializer
    )
    refuse = transition(
        "refuse",
        rectification.extension_refuse,
        id_keyword="request_id",
        response=ExtensionSerializer,
        text="reason",
        required=True,
    )


class TransitionLogSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = TransitionLog
        fields = [
            "id",
            "case",
            "task",
            "subject",
            "subject_id",
            "actor",
            "at",
            "transition",
            "source",
            "target",
            "comment",
        ]


class TransitionLogViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only transition log (流转记录)."""

    serializer_class = TransitionLogSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["case", "task", "subject", "transition"]

    def get_queryset(self):
        logs = TransitionLog.objects.select_related("actor").order_by("-at", "-id")
        access = access_of(self.request)
        if access.city_wide and access.cities is None:
            return logs  # with the logs of what has no case (evaluations)
        return access.scope(logs.filter(case__isnull=False), town="case__town", units="case__owners__unit")


class NoticeSerializer(serializers.ModelSerializer):
    document_number = serializers.CharField(read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "document_number", "kind", "year", "number", "case", "task", "reason", "body", "issued_at"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """Numbered warning (预警) and supervision (督办) notices."""

    serializer_class = NoticeSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["kind", "year", "case"]

    def get_queryset(self):
        notices = Notice.objects.select_related("city").order_by("-issued_at", "-id")
        return access_of(self.request).scope(notices, town="case__town", units="case__owners__unit")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "case", "task", "created_at", "read_at"]
        read_only_fields = fields


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's inbox (消息). Everyone's inbox is their own alone."""

    serializer_class = NotificationSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request, pk=None):
        """Mark a message read."""
        notification = self.get_object()
        if notification.read_at is None:
            Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=notification.pk)).data)
