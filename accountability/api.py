"""REST API of accountability: records (问责) and evaluations (考评)."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError

from pingan.access import access_of
from pingan.api_base import WORKFLOW_PERMISSIONS, transition

from . import services
from .evaluation_rules import Period, PeriodError
from .exports import write_xlsx
from .models import AccountabilityRecord, Evaluation
from .services import evaluations
from .views import XLSX


class RecordSerializer(serializers.ModelSerializer):
    target_unit_name = serializers.CharField(source="target_unit.name", read_only=True)

    class Meta:
        model = AccountabilityRecord
        fields = [
            "id",
            "case",
            "tasks",
            "target_unit",
            "target_unit_name",
            "leader_name",
            "leader_post",
            "measure",
            "state",
            "origin",
            "grounds",
            "dismissal_reason",
            "proposed_at",
            "decided_at",
            "executed_at",
        ]
        read_only_fields = ["state", "origin", "dismissal_reason", "proposed_at", "decided_at", "executed_at", "tasks"]


class RecordViewSet(viewsets.ModelViewSet):
    """Accountability records: the office proposes (POST), leadership approves or dismisses, the
    office records the execution."""

    serializer_class = RecordSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["state", "measure", "origin", "case", "target_unit"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        records = AccountabilityRecord.objects.select_related("target_unit").prefetch_related("tasks")
        return access_of(self.request).scope(
            records.order_by("-proposed_at", "-id"), town="case__town", units="target_unit"
        )

    @extend_schema(responses={201: RecordSerializer})
    def create(self, request, *args, **kwargs):
        """The office proposes a measure against a unit and its responsible leader."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.record_propose(
            case=data["case"],
            target_unit=data["target_unit"],
            measure=data["measure"],
            origin=AccountabilityRecord.Origin.OFFICE,
            grounds=data["grounds"],
            user=self.request.user,
            leader_name=data.get("leader_name", ""),
            leader_post=data.get("leader_post", ""),
        )

    approve = transition("approve", services.record_approve, id_keyword="record_id", response=RecordSerializer)
    dismiss = transition(
        "dismiss",
        services.record_dismiss,
        id_keyword="record_id",
        response=RecordSerializer,
        text="reason",
        required=True,
    )
    execute = transition("execute", services.record_execute, id_keyword="record_id", response=RecordSerializer)


class EvaluationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    components = serializers.JSONField(help_text="Each component with its value, weight, points and sources.")

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "unit",
            "unit_name",
            "period",
            "period_kind",
            "period_start",
            "period_end",
            "group",
            "state",
            "score",
            "rank",
            "group_size",
            "vetoed",
            "recommendation",
            "components",
            "computed_at",
        ]
        read_only_fields = fields


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    """Evaluations (考评) per unit and period, ranked within their group."""

    serializer_class = EvaluationSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["period", "period_kind", "group", "state", "unit", "recommendation"]
    ordering_fields = ["score", "rank"]

    def get_queryset(self):
        rows = Evaluation.objects.select_related("unit").order_by("-period_start", "group", "rank", "unit_id")
        return access_of(self.request).scope(rows, town="unit__town", units="unit")

    submit_for_review = transition(
        "submit_for_review",
        evaluations.evaluation_submit_for_review,
        id_keyword="evaluation_id",
        response=EvaluationSerializer,
    )
    approve = transition(
        "approve", evaluations.evaluation_approve, id_keyword="evaluation_id", response=EvaluationSerializer
    )
    send_back = transition(
        "send_back",
        evaluations.evaluation_send_back,
        id_keyword="evaluation_id",
        response=EvaluationSerializer,
        text="reason",
        required=True,
    )
    publish = transition(
        "publish", evaluations.evaluation_publish, id_keyword="evaluation_id", response=EvaluationSerializer
    )

    @extend_schema(
        parameters=[OpenApiParameter("period", str, required=True, description="2026-11, 2026-Q4 or 2026")],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """A period's ranking as XLSX, ready to print (the office and leadership)."""
        if not access_of(request).city_wide:
            raise PermissionDenied(_("the ranking export is for the safety office and leadership"))
        try:
            period = Period.parse(request.query_params.get("period", ""))
        except PeriodError as exc:
            raise ValidationError({"period": str(exc)}) from exc
        out = io.BytesIO()
        write_xlsx(out, period, cities=access_of(request).cities)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="evaluations-{period.label}.xlsx"'
        return response
