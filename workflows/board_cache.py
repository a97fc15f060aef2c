"""The supervision board's lists, rendered once and kept until the workflow of their cities moves
(workflows/kept.py says what that is, and what shows only after kept.SECONDS: here also the hourly
sweep's supervision notices). The lists are kept with the day (what is due soon or overdue follows it),
the language and the path (the forms come back to it).

The lists depend only on the cities a city-wide user sees, so the users of the same cities share them.
The page around them (the header: the user's name, the language, the path) depends on the user and
not on the workflow: each user's is kept for SECONDS, and put around the lists on every look (its
rendering took two fifths of a kept board's time in process); rendered anew while messages wait to be
shown in it. Both carry a placeholder where each form's CSRF token goes, and each answer puts its own token in.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

from django.contrib import messages
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from pingan.cache import key_of, read_through

from .kept import SECONDS, kept, workflow_state

__all__ = ["SECONDS", "csrf_placeholder", "page"]


def csrf_placeholder() -> str:
    """Rendered where each form's CSRF token goes ({% csrf_token %} writes the context's csrf_token), then
    replaced by the requesting browser's token. Letters, digits and dashes, so escaping leaves it as it
    is; made from SECRET_KEY, so that no one can write it into the page (a path or a name holding it
    would be given the reader's token, and carry it to a link, a log)."""
    return "pingan-csrf-" + salted_hmac("pingan.board.csrf-placeholder", "").hexdigest()[:24]


# Rendered where the lists go in the page around them: a comment, which no escaped text can hold.
LISTS_PLACEHOLDER = mark_safe("<!--pingan-board-lists-->")


def page(
    request,
    cities: list[int] | None,
    today: datetime.date,
    lists: Callable[[str], str],
    around: Callable[[str, str], str],
) -> str:
    """The board for these cities and this day: `lists(csrf_token)`, the lists as kept for the cities,
    in `around(csrf_token, lists)`, the page around them as kept for the user; the request's CSRF
    token in every form."""
    path, placeholder = request.get_full_path(), csrf_placeholder()
    facts = (cities, today.isoformat(), get_language(), path)
    made = kept("board", facts, lambda: lists(placeholder), state=workflow_state(cities), reader=request.user.pk)
    frame_anew = functools.partial(around, placeholder, LISTS_PLACEHOLDER)
    if len(messages.get_messages(request)):
        frame = frame_anew()  # shows them, and they are gone
    else:
        # What templates/base.html shows of the user; the rest of it is the same for everyone who may
        # open the board (city-wide: can_supervise and can_evaluate), or follows the path.
        user = request.user
        who = (user.pk, user.get_username(), getattr(user, "first_name", ""), user.is_staff)
        frame = read_through(key_of("board-page", (*who, get_language(), path)), frame_anew, SECONDS)
    return frame.replace(LISTS_PLACEHOLDER, made, 1).replace(placeholder, get_token(request))
