from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "everyname.store"
    label = "store"
    verbose_name = "everyname store"
    default_auto_field = "django.db.models.BigAutoField"
