from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Stored value and marketing wallet")

    def ready(self):
        from loyalty.benefits import benefits
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.exports import export_columns
        from loyalty.ledgers import member_accounts, register_auditor
        from loyalty.liabilities import liability_instruments
        from loyalty.member_panels import member_panels
        from loyalty.payments import register_purpose
        from loyalty.posters import poster_sources
        from loyalty.pricing import pricing_steps
        from loyalty.reports import reports
        from loyalty.tenders import tenders
        from merchants.roles import grant
        from merchants.serializers import MEMBER_SUMMARY_EXTRAS
        from merchants.views import HOME_SECTIONS
        from wallet import errors as api_errors
        from wallet import (
            events,
            liabilities,
            receivers,  # noqa: F401
            segments,
            services,
        )
        from wallet.benefits import CashbackBenefit
        from wallet.demo import WalletDemo
        from wallet.exports import MemberWalletColumns
        from wallet.panels import WalletPanel
        from wallet.posters import RedPacketPosters
        from wallet.pricing_steps import BalanceTierStep
        from wallet.reports import StoredValueReport
        from wallet.serializers import wallet_summary_extra
        from wallet.services.accounts import WalletAccount
        from wallet.tenders import BonusTender, CashbackTender, PrincipalTender
        from wallet.views import wallet_tile

        register_auditor("wallet", services.audit_wallets)
        for instrument in liabilities.INSTRUMENTS:
            liability_instruments.register(instrument)
        member_accounts.register(WalletAccount())
        for tender in (CashbackTender(), BonusTender(), PrincipalTender()):
            tenders.register(tender)
        benefits.register(CashbackBenefit())
        demo_data.register(WalletDemo)
        reports.register(StoredValueReport())
        export_columns.register(MemberWalletColumns())
        member_panels.register(WalletPanel())
        poster_sources.register(RedPacketPosters())
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.RECHARGE_PURPOSE, services.fulfil_recharge_payment, services.fail_recharge_payment)
        pricing_steps.register(BalanceTierStep())
        grant("cashier", ["wallet.view_wallet", "wallet.view_walletentry", "wallet.view_recharge",
                          "wallet.add_recharge", "wallet.view_rechargeoffer"])
        if wallet_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(wallet_tile)
        if wallet_summary_extra not in MEMBER_SUMMARY_EXTRAS:
            MEMBER_SUMMARY_EXTRAS.append(wallet_summary_extra)
        segments.register()
        register_api_errors(api_errors.API_ERRORS)
