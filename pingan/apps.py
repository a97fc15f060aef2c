from django.apps import AppConfig


class PinganConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pingan"
    verbose_name = "平安指数"

    def ready(self) -> None:
        # Registers field__any_of; connects the failed-login log and PostgreSQL's C loader of timestamps.
        from . import lookups, signals, timestamps  # noqa: F401
