"""Small builders for wallet tests."""

from __future__ import annotations

from decimal import Decimal

from wallet import services
from wallet.models import Wallet, WalletEntry


def enable_stored_value(merchant, **settings):
    wallet_settings = services.wallet_settings(merchant)
    wallet_settings.stored_value_enabled = True
    for name, value in settings.items():
        setattr(wallet_settings, name, value)
    wallet_settings.save()
    return wallet_settings


def balances(member) -> tuple[Decimal, Decimal, Decimal]:
    wallet = Wallet.objects.get(member=member)
    return wallet.principal, wallet.bonus, wallet.cashback


def entry_count(member) -> int:
    return WalletEntry.objects.filter(wallet__member=member).count()


def assert_audit_clean(merchant=None):
    report = services.audit_wallets(merchant.pk if merchant else None)
    assert report.clean, report.problems
    return report


def log_in_member(client, member):
    """What the OTP login leaves in the session (the login itself is tested in tests/browser)."""
    session = client.session
    session[f"member:{member.merchant_id}"] = member.pk
    session.save()
