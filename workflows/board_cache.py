"""The supervision board's lists, rendered once and kept until the workflow of their cities moves.

Everything the board shows changes through a service that writes the transition log in the same
transaction: a case opened, moved on, escalated or analysed; a task assigned, accepted, submitted,
verified or returned; an extension asked for or decided (a deadline moved); a warning notice issued.
Each log row carries its case's city, so the state of the log's rows of the user's cities
(pingan.appended: one indexed query) is the version of their board. The lists are kept under a key
holding it, with the day (what is due soon or overdue follows it), and the first look after a change,
the office's own included, renders them anew. A transition in another city leaves them be: in a
national deployment transitions happen all day, each city's a few an hour.

The lists depend only on the cities a city-wide user sees, so the users of the same cities share them.
Their forms carry a placeholder where the CSRF token goes, and each answer puts its own token in.

What the log does not see shows after at most SECONDS: an edit in the admin, a town or unit renamed,
the hourly sweep's supervision notices, and a log row committed behind RECENT newer rows of its city
(pingan.appended).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from pingan.appended import appended_state

from .models import TransitionLog

SECONDS = 60
# Rendered where each form's CSRF token goes ({% csrf_token %} writes the context's csrf_token), then
# replaced by the requesting browser's token. Letters and dashes only, so escaping leaves it as it is.
CSRF_PLACEHOLDER = "pingan-board-csrf-placeholder"


def key(request, cities: list[int] | None, today: datetime.date) -> str:
    """The lists' cache key: the log's state, the cities, the day, the language and the path (the forms
    come back to it)."""
    state = appended_state(TransitionLog, among=None if cities is None else ("city_id", cities))
    facts = (state, cities, today.isoformat(), get_language(), request.get_full_path())
    return f"pingan:board:{hashlib.sha256(repr(facts).encode()).hexdigest()}"


def lists(request, cities: list[int] | None, today: datetime.date, render: Callable[[str], str]) -> SafeString:
    """The rendered lists for these cities and this day, from the cache or `render(csrf_token)`, with
    the request's CSRF token in every form."""
    cache_key = key(request, cities, today)
    html = cache.get(cache_key)
    if html is None:
        html = render(CSRF_PLACEHOLDER)
        cache.set(cache_key, html, SECONDS)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))
