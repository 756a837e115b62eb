"""The WSGI application ``everyname serve`` runs (and any other WSGI server could)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everyname.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
