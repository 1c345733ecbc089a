from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimeCardsConfig(AppConfig):
    name = "cards.timecards"
    label = "timecards"
    verbose_name = _("Time cards")

    def ready(self):
        from cards.timecards import errors, events, liabilities, services
        from cards.timecards.benefits import TimeCardBenefit
        from cards.timecards.demo import TimeCardsDemo
        from cards.timecards.kinds import TimeCardKind
        from cards.timecards.reports import TimeCardsReport
        from loyalty.benefits import benefits
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.ledgers import register_auditor
        from loyalty.liabilities import liability_instruments
        from loyalty.payments import register_purpose
        from loyalty.reports import reports
        from loyalty.usable_cards import card_kinds
        from merchants.roles import grant

        register_api_errors(errors.API_ERRORS)
        register_auditor("timecards", services.audit_time_cards)
        for instrument in liabilities.INSTRUMENTS:
            liability_instruments.register(instrument)
        benefits.register(TimeCardBenefit())
        card_kinds.register(TimeCardKind())
        demo_data.register(TimeCardsDemo)
        reports.register(TimeCardsReport())
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.PURCHASE_PURPOSE, services.fulfil_purchase, services.fail_purchase)
        # Cashiers sell, use and add a missing photo; undoing a use and refunds stay with managers and owners.
        grant("cashier", ["timecards.view_timecard", "timecards.add_timecard", "timecards.use_timecard",
                          "timecards.view_timecarduse", "timecards.view_timecardproduct", "timecards.view_timecardtier",
                          "timecards.view_identityphoto", "timecards.add_identityphoto"])
