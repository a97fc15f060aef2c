"""What the navigation offers: only the pages the user's role may open."""

from .access import access_of


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_of(request)
    return {"can_supervise": access.city_wide, "can_evaluate": access.city_wide}
