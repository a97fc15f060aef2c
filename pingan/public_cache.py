"""The cache of the public index (page and API): keyed on what has been published, so a new
publication or revision is seen on the very next request."""

from __future__ import annotations

from django.utils.translation import get_language

from .appended import appended_state
from .cache import key_of
from .models import Publication

# How long a rendered page or API answer is kept. The key changes with every publication; this only
# bounds how long an edit the key cannot see (a town renamed in the admin) takes to show.
SECONDS = 600
# What browsers and proxies may reuse without asking: the index changes once a day.
MAX_AGE = 60


def publication_state(request) -> tuple:
    """The publications' appended state (pingan.appended) with when the latest of them went out: one
    indexed query, remembered for the rest of the request."""
    state = getattr(request, "_pingan_publication_state", None)
    if state is None:
        state = request._pingan_publication_state = appended_state(Publication, "published_at")
    return state


def key(kind: str, request, *, ignore: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> str:
    """The cache key of a public answer: what kind, the published state, the language, the host (API
    links are absolute) and the query string (its order does not matter)."""
    params = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name not in ignore and (only is None or name in only)
        for value in values
    )
    facts = (kind, publication_state(request), get_language(), request.scheme, request.get_host(), params)
    return key_of(f"public:{kind}", facts)
