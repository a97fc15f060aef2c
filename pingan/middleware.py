"""Pages speak Chinese unless the visitor chose English; the API follows Accept-Language."""

from __future__ import annotations


class ChineseUnlessChosen:
    """Drop the browser's Accept-Language on pages, so LocaleMiddleware falls back to zh-hans unless
    the language cookie (set by the language switcher) says otherwise. API clients keep theirs: an
    integrator asking for English gets English errors."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
