from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "everyname.api"
    label = "api"
    verbose_name = "everyname JSON API"
    default_auto_field = "django.db.models.BigAutoField"
