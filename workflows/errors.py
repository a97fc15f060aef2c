"""Why a workflow request was refused. The API maps these to 403 and 409."""

from pingan.errors import DomainError


class NotPermitted(DomainError):
    """The user may not do this (403)."""


class TransitionRefused(DomainError):
    """The object's state or a guard does not allow this now (409)."""


class ConcurrentChange(TransitionRefused):
    """Someone else changed the object at the same moment (409)."""
