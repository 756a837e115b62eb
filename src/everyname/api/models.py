"""The API's one table: per-user tokens, kept hashed.

It lives in the API's own app (with its own migrations) rather than in ``store.models`` so the
API can be added without touching the store's migration history; only
:mod:`everyname.store.tokens` reads or writes it, through the permission module and the audit
log like every other use case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token a user's scripts send as ``Authorization: Bearer TOKEN``.

    Only the SHA-256 of the token is stored: a token is 256 random bits, so a fast hash is as
    safe as a slow one and lets each request find its token by an index. ``prefix`` (the first
    characters, not enough to use) lets a person tell their tokens apart. A token acts with its
    user's role as it is at each request, never with more; a revoked token is kept, for the log.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
