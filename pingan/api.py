"""REST API of the index domain: regions, units, counts (written by data feeds), submissions,
the published index (public) and policies."""

from __future__ import annotations

import datetime
import json
from functools import cached_property, partial

import django_filters
from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from . import public_cache
from .access import access_of
from .api_base import WORKFLOW_PERMISSIONS
from .cache import read_through
from .models import City, DailyCount, DailyIndex, District, IndexPolicy, Submission, Town, Unit
from .services.counts import recompute_published, store_counts
from .tabular import Row

# --- regions and units --------------------------------------------------------------------------


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["id", "name", "abbreviation"]


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "city"]


class TownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Town
        fields = ["id", "name", "code", "kind", "district"]


class UnitSerializer(serializers.ModelSerializer):
    indicators = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "city", "district", "town", "indicators"]


class CityViewSet(viewsets.ReadOnlyModelViewSet):
    """Cities."""

    queryset = City.objects.order_by("id")
    serializer_class = CitySerializer
    permission_classes = WORKFLOW_PERMISSIONS


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    """Districts, by city."""

    queryset = District.objects.order_by("id")
    serializer_class = DistrictSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["city"]


class TownViewSet(viewsets.ReadOnlyModelViewSet):
    """Towns (镇街), by district and kind."""

    queryset = Town.objects.order_by("id")
    serializer_class = TownSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["district", "kind", "code"]
    search_fields = ["name"]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Responsible units (责任单位)."""

    queryset = Unit.objects.prefetch_related("indicators").order_by("id")
    serializer_class = UnitSerializer
    permission_classes = WORKFLOW_PERMISSIONS
    filterset_fields = ["city", "district", "town", "kind"]


# --- counts and submissions ------------------------------------------------------------------------


class DailyCountSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = DailyCount
        fields = ["id", "date", "town", "indicator", "count", "deaths"]


class CountRowSerializer(serializers.Serializer):
    town = serializers.CharField(help_text="The town's name or division code.")
    count = serializers.IntegerField(min_value=0)
    deaths = serializers.IntegerField(min_value=0, default=0)


class CountSubmissionSerializer(serializers.Serializer):
    date = serializers.DateField()
    indicator = serializers.CharField(help_text="The indicator code; a data feed may only submit its own.")
    counts = CountRowSerializer(many=True, help_text="Towns with events; every other town had none that day.")


class CountSubmissionResultSerializer(serializers.Serializer):
    date = serializers.DateField()
    indicator = serializers.CharField()
    rows = serializers.IntegerField()
    changed = serializers.BooleanField(help_text="False when the same data was already stored.")
    recomputed = serializers.BooleanField(help_text="True when the day was already published and was recomputed.")


class DailyCountFilter(django_filters.FilterSet):
    date = django_filters.DateFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    indicator = django_filters.CharFilter(field_name="indicator__code")

    class Meta:
        model = DailyCount
        fields = ["date", "town", "indicator"]


class DailyCountViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Daily counts. Reading: the office, and districts and towns for their area; a data feed reads
    its own indicator. Writing (POST): data feeds only — one date and indicator at a time, declared
    complete (towns left out had no events); the same data again changes nothing."""

    serializer_class = DailyCountSerializer
    filterset_class = DailyCountFilter
    ordering_fields = ["date", "town"]
    throttle_scope = "feed"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else super().get_throttles()

    def get_queryset(self):
        counts = DailyCount.objects.select_related("indicator").order_by("-date", "town_id", "indicator_id")
        access = access_of(self.request)
        if access.is_feed:
            feed = self.request.user.data_feed
            return counts.filter(indicator=feed.indicator, town__district__city=feed.city)
        return access.scope(counts, town="town")

    @extend_schema(request=CountSubmissionSerializer, responses={201: CountSubmissionResultSerializer})
    def create(self, request):
        access = access_of(request)
        if not access.is_feed:
            raise PermissionDenied(_("counts are written by data-feed accounts"))
        feed = request.user.data_feed
        submission = CountSubmissionSerializer(data=request.data)
        submission.is_valid(raise_exception=True)
        data = submission.validated_data
        if data["indicator"] != feed.indicator.code:
            raise PermissionDenied(
                _("this data feed submits %(own)s, not %(other)s")
                % {"own": feed.indicator.code, "other": data["indicator"]}
            )
        day = data["date"]
        # An indicator with no event anywhere is still a submission: one explicit zero row says so.
        raw = [
            Row(
                n,
                {
                    "date": day.isoformat(),
                    "town": r["town"],
                    "indicator": data["indicator"],
                    "count": str(r["count"]),
                    "deaths": str(r["deaths"]),
                },
            )
            for n, r in enumerate(data["counts"], start=1)
        ] or [
            Row(
                1,
                {
                    "date": day.isoformat(),
                    "town": _any_town(feed.city),
                    "indicator": data["indicator"],
                    "count": "0",
                    "deaths": "0",
                },
            )
        ]
        result = store_counts(
            raw,
            city=feed.city,
            source=f"api:{request.user.get_username()}",
            content=json.dumps(request.data, ensure_ascii=False, default=str).encode(),
            user=request.user,
            today=timezone.localdate(),
        )
        reports = recompute_published(feed.city, result.changed_dates) if result.changed else []
        return Response(
            {
                "date": day,
                "indicator": data["indicator"],
                "rows": result.rows,
                "changed": result.changed,
                "recomputed": bool(reports),
            },
            status=status.HTTP_201_CREATED,
        )


def _any_town(city: City) -> str:
    return Town.objects.filter(district__city=city).values_list("name", flat=True).first() or ""


class SubmissionSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "city", "date", "indicator", "source", "submitted_at"]


class SubmissionViewSet(viewsets.ReadOnlyModelViewSet):
    """Submissions (数据报送): which dates each indicator's source declared complete."""

    serializer_class = SubmissionSerializer
    filterset_fields = ["city", "date", "indicator__code"]
    ordering_fields = ["date"]

    def get_queryset(self):
        submissions = Submission.objects.select_related("indicator").order_by("-date", "indicator_id")
        access = access_of(self.request)
        if access.is_feed:
            feed = self.request.user.data_feed
            return submissions.filter(indicator=feed.indicator, city=feed.city)
        if access.city_wide:
            return access.in_cities(submissions, "city")
        return submissions.filter(city__in=[u.city_id for u in access.units])


# --- the published index ---------------------------------------------------------------------------


class DailyIndexSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)
    town_name = serializers.CharField(source="town.name", read_only=True, allow_null=True, default=None)
    items = serializers.JSONField(help_text="Per indicator code: count, deaths, grade, points.")

    class Meta:
        model = DailyIndex
        fields = [
            "id",
            "date",
            "scope",
            "district",
            "district_name",
            "town",
            "town_name",
            "score",
            "level",
            "population",
            "items",
            "revision",
            "policy",
        ]


class DailyIndexFilter(django_filters.FilterSet):
    date = django_filters.DateFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DailyIndex
        fields = ["date", "scope", "district", "town", "level"]


class _CountedOncePaginator(DjangoPaginator):
    """Counts a query's rows once per publication: every page of the same list after the first takes
    the count from the cache (a national day's COUNT is most of an uncached page's time)."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return cache.get_or_set(self.count_key, lambda: super(_CountedOncePaginator, self).count, public_cache.SECONDS)


class PublicIndexPagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        count_key = public_cache.key("api-index-count", request, ignore=("page", "format"))
        self.django_paginator_class = partial(_CountedOncePaginator, count_key=count_key)
        return super().paginate_queryset(queryset, request, view)


class DailyIndexViewSet(viewsets.ReadOnlyModelViewSet):
    """The published Ping'an index (current revisions), public: by date (`?date=`) or range
    (`?date_after=&date_before=`), town or district. Without a date, the latest published day."""

    serializer_class = DailyIndexSerializer
    filterset_class = DailyIndexFilter
    pagination_class = PublicIndexPagination
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    ordering_fields = ["date", "score"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables yet
            return DailyIndex.objects.none()
        rows = (
            DailyIndex.objects.current()
            .select_related("district", "town")
            .order_by("-date", "district_id", "scope", "town_id")
        )
        params = self.request.query_params
        if self.action == "list" and not any(k in params for k in ("date", "date_after", "date_before")):
            latest = DailyIndex.objects.current().order_by("-date").values_list("date", flat=True).first()
            rows = rows.filter(date=latest or datetime.date.min)
        return rows

    @extend_schema(
        parameters=[OpenApiParameter("date", datetime.date, description="the day (default: the latest published)")],
        responses={200: DailyIndexSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        """Cached until the next publication (see public_cache); browsers and proxies may keep it a minute."""
        data = read_through(
            public_cache.key("api-index", request),
            lambda: super(DailyIndexViewSet, self).list(request, *args, **kwargs).data,
            public_cache.SECONDS,
        )
        response = Response(data)
        patch_cache_control(response, public=True, max_age=public_cache.MAX_AGE)
        patch_vary_headers(response, ["Accept"])
        return response


# --- policies ----------------------------------------------------------------------------------------


class IndexPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = IndexPolicy
        fields = [
            "id",
            "name",
            "version",
            "title",
            "city",
            "effective_from",
            "weights",
            "lower_threshold",
            "upper_threshold",
            "grade_points",
            "level_bands",
            "very_poor_forces_red",
            "escalation_ladder",
            "red_deadline_days",
            "orange_deadline_days",
            "close_after_days",
            "overdue_grace_days",
        ]


class IndexPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Index policies (指数方案), versioned; read-only here (the office edits them in the admin)."""

    queryset = IndexPolicy.objects.order_by("name", "-version")
    serializer_class = IndexPolicySerializer
    permission_classes = WORKFLOW_PERMISSIONS
