"""The team server: Django views over the store's service functions.

Views parse a request, call one store function as the signed-in user's actor, and render. Who
may see what is decided by the store's permission module alone (see :mod:`everyname.web.access`).
"""
