"""API authentication for store terminals: `Authorization: Terminal <key>`.

The terminal is `request.auth`; every API view scopes its queries to `request.auth.merchant_id`
(and the store where it matters).
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions

from loyalty.config_cache import cached, merchant_keys, read_ahead
from merchants import errors
from merchants.models import Terminal
from merchants.services.staff import hash_terminal_key, split_terminal_key, terminal_cache_key

LAST_USED_RESOLUTION = timedelta(minutes=1)
# When this process last recorded each terminal's use: the cached terminal keeps the last_used_at it was read with.
_recorded_use: dict[int, object] = {}
# The merchant of each terminal this process has authenticated (by key prefix): the next call of the terminal reads
# what it will need of its merchant with the terminal, in one cache round trip. Only a terminal found is noted.
_merchant_of: dict[str, int] = {}


def terminal_by_prefix(prefix: str) -> Terminal | None:
    """The terminal with this key prefix, with its store and merchant: a cached row (merchants.receivers forgets
    it when it, its store or its merchant changes), so a revoked key stops working on the next call. An unknown
    prefix is not cached: guessing keys cannot fill the cache.

    Inside an API call, the merchant's keys (`loyalty.config_cache.merchant_keys`) are read with it; a terminal
    moved to another merchant since this process last saw it costs one more round trip for its new merchant's."""
    key = terminal_cache_key(prefix)
    merchant_id = _merchant_of.get(prefix)
    read_ahead([key, *(merchant_keys(merchant_id) if merchant_id is not None else ())])
    terminal = cached(key, lambda: Terminal.objects.select_related("store", "merchant").filter(
        key_prefix=prefix).first())
    if terminal is not None and terminal.merchant_id != merchant_id:
        _merchant_of[prefix] = terminal.merchant_id
        read_ahead(merchant_keys(terminal.merchant_id))
    return terminal


class TerminalPrincipal:
    """What DRF calls `request.user` for a terminal: authenticated, never a staff login."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, terminal: Terminal):
        self.terminal = terminal

    def __str__(self):
        return f"terminal:{self.terminal.pk}"


class TerminalAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, code, detail):
        super().__init__(detail=detail, code=code)
        self.error_code = code


class TerminalKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Terminal"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if header and header[0] == self.keyword:
            if len(header) != 2:
                raise TerminalAuthenticationFailed(errors.TERMINAL_KEY_INVALID, _("Malformed terminal key header."))
            key = header[1]
        else:
            key = request.headers.get("X-Terminal-Key")
            if not key:
                return None
        prefix = split_terminal_key(key)
        terminal = terminal_by_prefix(prefix) if prefix is not None else None
        if terminal is None or not hmac.compare_digest(terminal.key_hash, hash_terminal_key(key)):
            raise TerminalAuthenticationFailed(errors.TERMINAL_KEY_INVALID, _("Invalid terminal key."))
        if terminal.revoked_at is not None or not terminal.merchant.is_active:
            raise TerminalAuthenticationFailed(errors.TERMINAL_REVOKED, _("This terminal has been revoked."))
        now = timezone.now()
        last_used = max(filter(None, (terminal.last_used_at, _recorded_use.get(terminal.pk))), default=None)
        if last_used is None or now - last_used > LAST_USED_RESOLUTION:
            Terminal.objects.filter(pk=terminal.pk).update(last_used_at=now)
            _recorded_use[terminal.pk] = now
        return TerminalPrincipal(terminal), terminal

    def authenticate_header(self, request):
        return self.keyword


class IsTerminal(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Terminal)
