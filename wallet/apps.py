from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Stored value and marketing wallet")

    def ready(self):
        from loyalty.demo import demo_data
        from loyalty.events import event_kinds
        from loyalty.ledgers import register_auditor
        from loyalty.payments import register_purpose
        from merchants.roles import grant
        from merchants.serializers import MEMBER_SUMMARY_EXTRAS
        from merchants.views import HOME_SECTIONS
        from wallet import (
            events,
            receivers,  # noqa: F401
            services,
        )
        from wallet.demo import WalletDemo
        from wallet.serializers import wallet_summary_extra
        from wallet.views import wallet_tile

        register_auditor("wallet", services.audit_wallets)
        demo_data.register(WalletDemo)
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.RECHARGE_PURPOSE, services.fulfil_recharge_payment, services.fail_recharge_payment)
        grant("cashier", ["wallet.view_wallet", "wallet.view_walletentry", "wallet.view_recharge",
                          "wallet.add_recharge", "wallet.view_rechargeoffer"])
        if wallet_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(wallet_tile)
        if wallet_summary_extra not in MEMBER_SUMMARY_EXTRAS:
            MEMBER_SUMMARY_EXTRAS.append(wallet_summary_extra)
