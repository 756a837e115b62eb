from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "everyname.web"
    label = "web"
    verbose_name = "everyname web app"
