"""The JSON API at ``/api/v1/`` (see :mod:`everyname.api.views`)."""
