"""The API's filter backend: django-filter's, skipped when the query string names none of the filters."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter builds the filter form anew for every request (1–2 ms of a task list's 10), and
    with none of its parameters given it filters nothing. So a list asked for without a filter
    parameter (`?page=2`, or nothing) is not given to the form. A query with any parameter that starts
    with a filter's name (`state`, `deadline_after`, a range filter's `<name>_min`) goes through the
    form as before, and a bad value is a 400 as before."""

    def filter_queryset(self, request, queryset, view):
        names = _filter_names(view)
        if not any(param.startswith(name) for param in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _filter_names(view) -> list[str]:
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        return list(filterset_class.base_filters)
    return list(getattr(view, "filterset_fields", None) or ())
