from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "cards.membership"
    label = "membership"
    verbose_name = _("Membership card")

    def ready(self):
        from cards.membership import errors as api_errors
        from cards.membership import (
            events,
            liabilities,
            receivers,  # noqa: F401
            segments,
            services,
        )
        from cards.membership.benefits import ExperienceBenefit, PointsBenefit
        from cards.membership.demo import MembershipDemo
        from cards.membership.exports import MemberCardColumns
        from cards.membership.panels import MembershipCardPanel
        from cards.membership.pricing_steps import LevelDiscountStep, PointsDeductionStep
        from cards.membership.reports import MembershipCardsReport
        from cards.membership.serializers import membership_summary_extra
        from cards.membership.services.ledger import CardAccount
        from cards.membership.views import card_tile
        from loyalty.benefits import benefits
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.exports import export_columns
        from loyalty.ledgers import member_accounts, register_auditor
        from loyalty.liabilities import liability_instruments
        from loyalty.member_panels import member_panels
        from loyalty.pricing import pricing_steps
        from loyalty.reports import reports
        from merchants.roles import grant
        from merchants.serializers import MEMBER_SUMMARY_EXTRAS
        from merchants.views import HOME_SECTIONS, JOIN_DETAIL_POLICIES

        register_auditor("membership", services.audit_points)
        for instrument in liabilities.INSTRUMENTS:
            liability_instruments.register(instrument)
        member_accounts.register(CardAccount())
        pricing_steps.register(LevelDiscountStep())
        pricing_steps.register(PointsDeductionStep())
        benefits.register(ExperienceBenefit())
        benefits.register(PointsBenefit())
        demo_data.register(MembershipDemo)
        reports.register(MembershipCardsReport())
        export_columns.register(MemberCardColumns())
        member_panels.register(MembershipCardPanel())
        for kind in events.KINDS:
            event_kinds.register(kind)
        grant("cashier", ["membership.view_membershipprogram", "membership.view_level",
                          "membership.view_membershipcard", "membership.view_pointsentry",
                          "membership.view_experienceentry", "membership.view_pointsbucket"])
        if card_tile not in HOME_SECTIONS:
            HOME_SECTIONS.insert(0, card_tile)
        if services.join_asks_for_details not in JOIN_DETAIL_POLICIES:
            JOIN_DETAIL_POLICIES.append(services.join_asks_for_details)
        if membership_summary_extra not in MEMBER_SUMMARY_EXTRAS:
            MEMBER_SUMMARY_EXTRAS.append(membership_summary_extra)
        segments.register()
        register_api_errors(api_errors.API_ERRORS)
