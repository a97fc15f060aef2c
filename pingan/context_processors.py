"""What every page's header offers: only the pages the user's role may open, at addresses reversed once."""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .access import access_of

# The header's links: the name in templates (`addresses.<name>`) and the URL's name.
HEADER_LINKS = {
    "public_index": "public-index",
    "dashboard": "dashboard",
    "my_work": "my-work",
    "board": "board",
    "evaluations": "evaluations",
    "admin": "admin:index",
    "login": "login",
    "logout": "logout",
    "set_language": "set_language",
}


def navigation(request) -> dict:
    # Reversing them took a tenth of a kept page's time; they change only with the URL configuration and
    # the script prefix (with URLs translated, i18n_patterns, the language would have to be in the key).
    context = {"addresses": _addresses(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    access = access_of(request)
    return {**context, "can_supervise": access.city_wide, "can_evaluate": access.city_wide}


@lru_cache(maxsize=16)
def _addresses(urlconf, prefix: str) -> dict[str, str]:
    return {key: reverse(name, urlconf=urlconf) for key, name in HEADER_LINKS.items()}
