"""Staff logins, their roles, and store terminals with their API keys."""

from __future__ import annotations

import functools
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.config_cache import cached, forget, shape
from loyalty.errors import DomainError
from merchants import errors, events
from merchants.models import Merchant, StaffMember, Store, Terminal
from merchants.roles import group_for

TERMINAL_KEY_PREFIX = "tk_"


@transaction.atomic
def add_staff(merchant: Merchant, *, username: str, password: str, role: str, first_name: str = "",
              store: Store | None = None, check_password: bool = True) -> StaffMember:
    """Create a staff login for `merchant` with `role`; they can sign in to the admin at once."""
    user_model = get_user_model()
    user = user_model(username=username, first_name=first_name, is_staff=True)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    staff = StaffMember.objects.create(user=user, merchant=merchant, role=role, store=store)
    set_staff_role(staff, role)
    return staff


@transaction.atomic
def set_staff_role(staff: StaffMember, role: str, *, by: AbstractBaseUser | None = None) -> StaffMember:
    """Put the staff member's login in exactly the group of `role`; a new role is an event."""
    # The stored role, locked: two owners changing it at once each record what they changed it from.
    before = StaffMember.objects.select_for_update().filter(pk=staff.pk).values_list("role", flat=True).first()
    staff.role = role
    staff.save(update_fields=["role"])
    staff.user.is_staff = True
    staff.user.save(update_fields=["is_staff"])
    staff.user.groups.set([group_for(role)])
    if before is not None and before != role:
        events.staff_role_changed(staff, by=by, before=before)
    return staff


def hash_terminal_key(key: str) -> str:
    # The key carries 256 random bits, so a plain SHA-256 cannot be brute-forced; no slow hash needed
    # on a path every API call takes.
    return hashlib.sha256(key.encode()).hexdigest()


def split_terminal_key(key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    if not key.startswith(TERMINAL_KEY_PREFIX):
        return None
    prefix, _, secret = key[len(TERMINAL_KEY_PREFIX):].partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    return prefix


def create_terminal(store: Store, *, name: str, created_by=None, key: str | None = None) -> tuple[Terminal, str]:
    """Register a terminal and return it with its key, which is never shown again.

    `key` is for demo data only, so the README can print a key that works.
    """
    if key is None:
        key = f"{TERMINAL_KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    prefix = split_terminal_key(key)
    if prefix is None:
        raise ValueError("malformed terminal key")
    terminal = Terminal.objects.create(merchant=store.merchant, store=store, name=name, key_prefix=prefix,
                                       key_hash=hash_terminal_key(key), created_by=created_by)
    return terminal, key


def terminal_cache_key(prefix: str) -> str:
    """Where the API keeps the terminal it authenticates, with its store and merchant (merchants.authentication)."""
    return f"terminal:{_terminal_shape()}:{prefix}"


@functools.cache
def _terminal_shape() -> str:
    return shape(Terminal, Store, Merchant)


def staff_roster_key(merchant_id: int) -> str:
    """Where the merchant's staff who may be named at a till are kept, by login (`cashier_at`)."""
    return f"staff-roster:{_roster_shape()}:{merchant_id}"


@functools.cache
def _roster_shape() -> str:
    return shape(StaffMember)


def _roster(merchant_id: int) -> dict[str, StaffMember]:
    """The merchant's staff with an active login, by login name: a cached value (merchants.receivers forgets it
    when a staff member or their login changes), so naming the cashier costs a payment no statement."""
    def load() -> dict[str, StaffMember]:
        staff = (StaffMember.objects.filter(merchant_id=merchant_id, user__is_active=True)
                 .only("pk", "merchant_id", "store_id", "user_id", "role").annotate(login=F("user__username")))
        return {member.login: member for member in staff}
    return cached(staff_roster_key(merchant_id), load)


def cashier_at(store: Store, login: str, *, field: str = "cashier") -> StaffMember:
    """The staff member a terminal names as the one at its till (收银员): a login of the store's merchant, and
    not one held to another store. Another merchant's login is unknown here, as a login that does not exist."""
    found = _roster(store.merchant_id).get(login)
    if found is None:
        raise DomainError(errors.CASHIER_UNKNOWN, _("No staff member of this merchant has this login."),
                          field=field)
    if found.store_id is not None and found.store_id != store.pk:
        raise DomainError(errors.CASHIER_WRONG_STORE, _("This staff member works at another store."), field=field,
                          status_code=409)
    return found


@transaction.atomic
def revoke_terminal(terminal: Terminal, *, staff: AbstractBaseUser | None = None) -> Terminal:
    """Stop a terminal's key from working, at once and for good."""
    revoked = Terminal.objects.filter(pk=terminal.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    forget([terminal_cache_key(terminal.key_prefix)])
    terminal.refresh_from_db(fields=["revoked_at"])
    if revoked:
        events.terminal_revoked(terminal, staff=staff)
    return terminal
