from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "everyname.api"
    label = "api"
    verbose_name = "everyname JSON API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from everyname.api import auth  # noqa: F401  (the Bearer scheme, for the document)
