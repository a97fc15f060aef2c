"""The API's filter backends: django-filter's, given only the filters the query string names; DRF's
ordering, made stable for pages."""

from __future__ import annotations

import functools

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters


class FilterBackend(DjangoFilterBackend):
    """django-filter copies every filter of the set and builds a form field for each, for every
    request: 1–2 ms of a task list's 10, and about 1 ms of `?stage=supervise`'s cases, whose filters
    for a town and a district are model choices. Filters the query does not name filter nothing.

    So a list asked for without a filter parameter (`?page=2`, or nothing) is not given to the form,
    and a query that names some is given a form of those alone. A filter is named by a parameter that
    starts with its name (`state`, `deadline_after`, a range filter's `<name>_min`); a bad value is a
    400 that names it, as before. Only the filtering is restricted: the schema (`get_filterset_class`)
    and the browsable API's filter form (`get_filterset`) still offer every filter."""

    def filter_queryset(self, request, queryset, view):
        named = _named(_filter_names(view), request.query_params)
        if not named:
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is getattr(view, "filterset_class", None):  # not one made anew from filterset_fields
            filterset_class = _only(filterset_class, named)
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view))
        if not filterset.is_valid() and self.raise_exception:  # as DjangoFilterBackend.filter_queryset
            raise utils.translate_validation(filterset.errors)
        return filterset.qs


def _filter_names(view) -> list[str]:
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        return list(filterset_class.base_filters)
    return list(getattr(view, "filterset_fields", None) or ())


def _named(names, params) -> frozenset[str]:
    return frozenset(name for name in names if any(p.startswith(name) for p in params))


@functools.cache
def _only(filterset_class, names: frozenset[str]) -> type:
    """`filterset_class` with only the filters `names`, made once for each class and set of names."""
    if names == frozenset(filterset_class.base_filters):
        return filterset_class
    only = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    only.base_filters = {name: f for name, f in filterset_class.base_filters.items() if name in names}
    return only


class OrderingFilter(filters.OrderingFilter):
    """DRF's `?ordering=`, then the primary key: rows equal in the fields asked for (tasks created in one
    import share their `created_at`) came in no fixed order, so a row could be on two pages and another on
    none. The key goes the way of the last field, so that an index on (field, id) still serves
    `?ordering=-deadline` read backwards."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or any(field.lstrip("-") in ("pk", "id") for field in ordering):
            return ordering
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]
