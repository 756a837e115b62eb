from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _keep_name_index(using: str, **kwargs: object) -> None:
    from django.db import connections

    from everyname.store import name_index

    name_index.keep_triggers(connections[using])


class StoreConfig(AppConfig):
    name = "everyname.store"
    label = "store"
    verbose_name = "everyname store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_keep_name_index, sender=self, dispatch_uid="everyname.name_index")
