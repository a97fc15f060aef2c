from django.apps import AppConfig


class PinganConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pingan"
    verbose_name = "平安指数"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the failed-login log)
