"""The product's roles as Django groups, with the admin permissions each needs.

What a role may *do* to a case or task is decided by the services (membership of a unit, the
office, leadership); these permissions only open the admin pages to the people who work there.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

SAFETY_OFFICE = "safety_office"
LEADERSHIP = "leadership"
TOWN = "town_official"
POLICE = "police_station"
DEPARTMENT = "department"

_ALL = ("pingan", "workflows", "accountability")
_WORK = [
    ("workflows", "case"),
    ("workflows", "rectificationtask"),
    ("workflows", "notice"),
    ("workflows", "notification"),
    ("workflows", "transitionlog"),
    ("workflows", "extensionrequest"),
    ("pingan", "dailyindex"),
]

ROLES: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = {
    # (app label, model or None for every model, actions)
    SAFETY_OFFICE: [(app, None, ("view", "add", "change")) for app in _ALL],
    LEADERSHIP: [(app, None, ("view",)) for app in _ALL] + [("accountability", "accountabilityrecord", ("change",))],
    TOWN: [(app, model, ("view", "change")) for app, model in _WORK],
    POLICE: [(app, model, ("view", "change")) for app, model in _WORK],
    DEPARTMENT: [(app, model, ("view", "change")) for app, model in _WORK],
}


def install_roles() -> dict[str, int]:
    """Create or refresh the role groups; returns how many permissions each has."""
    counts = {}
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for app, model, actions in grants:
            found = Permission.objects.filter(content_type__app_label=app, codename__regex=rf"^({'|'.join(actions)})_")
            if model is not None:
                found = found.filter(content_type__model=model)
            permissions += list(found)
        group.permissions.set(permissions)
        counts[name] = len(permissions)
    return counts
