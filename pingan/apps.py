from django.apps import AppConfig


class PinganConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pingan"
    verbose_name = "平安指数"

    def ready(self) -> None:
        from . import lookups, signals  # noqa: F401  (registers field__any_of; connects the failed-login log)
