"""What each staff role may do, as Django groups kept in step with the permissions that exist.

Owners may do everything in the platform's apps; managers everything but staff and merchant
settings; cashiers look members up and serve them, but change no programme and see no report.
Apps above this one add their permissions with `grant()` in their AppConfig.ready().
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from merchants.models import StaffRole

PLATFORM_APPS = ["loyalty", "merchants", "membership", "wallet", "coupons", "punchcards", "timecards",
                 "giftcards", "checkout", "webhooks", "finance", "campaigns"]

# Only the platform operator (a superuser) touches these.
OPERATOR_ONLY = {
    "loyalty.add_idempotencyrecord", "loyalty.change_idempotencyrecord", "loyalty.delete_idempotencyrecord",
    "loyalty.view_idempotencyrecord", "loyalty.add_outboxmessage", "loyalty.change_outboxmessage",
    "loyalty.delete_outboxmessage", "loyalty.add_event", "loyalty.change_event", "loyalty.delete_event",
    "merchants.add_merchant", "merchants.delete_merchant",
    "merchants.add_logincode", "merchants.change_logincode", "merchants.delete_logincode",
    "merchants.view_logincode", "merchants.add_staffaction", "merchants.change_staffaction",
    "merchants.delete_staffaction",
}
OWNER_ONLY = {
    "merchants.add_staffmember", "merchants.change_staffmember", "merchants.delete_staffmember",
    "merchants.change_merchant",
}
_cashier = {
    "merchants.view_member", "merchants.add_member", "merchants.change_member", "merchants.view_store",
    "merchants.view_membertag", "merchants.view_memberfield",
}


def grant(role: str, permissions: list[str]) -> None:
    """Give cashiers extra permissions (owners and managers already hold every app permission)."""
    if role == StaffRole.CASHIER:
        _cashier.update(permissions)


def owner_only(permissions: list[str]) -> None:
    """Keep permissions for owners: managers and cashiers do not get them (apps above call it in ready())."""
    OWNER_ONLY.update(permissions)


def permissions_for(role: str) -> set[str]:
    everything = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(content_type__app_label__in=PLATFORM_APPS)
        .values_list("content_type__app_label", "codename")
    } - OPERATOR_ONLY
    if role == StaffRole.OWNER:
        return everything
    if role == StaffRole.MANAGER:
        return everything - OWNER_ONLY
    return _cashier & everything


def group_for(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=f"role:{role}")
    return group


def sync_role_groups() -> None:
    """Create the three role groups and set their permissions; safe to run any number of times."""
    for role in StaffRole.values:
        wanted = permissions_for(role)
        candidates = Permission.objects.filter(content_type__app_label__in=PLATFORM_APPS).select_related("content_type")
        perms = [p for p in candidates if f"{p.content_type.app_label}.{p.codename}" in wanted]
        group_for(role).permissions.set(perms)
