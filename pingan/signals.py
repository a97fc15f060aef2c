"""Failed logins are logged (for the admin, the pages and the API alike): an operator watches them."""

import logging

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("pingan.security")


@receiver(user_login_failed)
def log_failed_login(sender, credentials, request=None, **kwargs):
    address = request.META.get("REMOTE_ADDR", "?") if request is not None else "?"
    logger.warning("failed login for %r from %s", credentials.get("username"), address)
