"""The supervision board's lists, rendered once and kept until the workflow of their cities moves
(workflows/kept.py says what that is, and what shows only after kept.SECONDS: here also the hourly
sweep's supervision notices). The lists are kept with the day (what is due soon or overdue follows it),
the language and the path (the forms come back to it).

The lists depend only on the cities a city-wide user sees, so the users of the same cities share them.
Their forms carry a placeholder where the CSRF token goes, and each answer puts its own token in.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .kept import SECONDS, kept, workflow_state

__all__ = ["CSRF_PLACEHOLDER", "SECONDS", "lists"]

# Rendered where each form's CSRF token goes ({% csrf_token %} writes the context's csrf_token), then
# replaced by the requesting browser's token. Letters and dashes only, so escaping leaves it as it is.
CSRF_PLACEHOLDER = "pingan-board-csrf-placeholder"


def lists(request, cities: list[int] | None, today: datetime.date, render: Callable[[str], str]) -> SafeString:
    """The rendered lists for these cities and this day, from the cache or `render(csrf_token)`, with
    the request's CSRF token in every form."""
    facts = (cities, today.isoformat(), get_language(), request.get_full_path())
    html = kept("board", facts, lambda: render(CSRF_PLACEHOLDER), state=workflow_state(cities), reader=request.user.pk)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))
