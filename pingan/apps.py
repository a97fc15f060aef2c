from django.apps import AppConfig


class PinganConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pingan"
    verbose_name = "平安指数"
