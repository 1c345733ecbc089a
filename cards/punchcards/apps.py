from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PunchCardsConfig(AppConfig):
    name = "cards.punchcards"
    label = "punchcards"
    verbose_name = _("Punch cards")

    def ready(self):
        from cards.punchcards import errors, events, liabilities, services
        from cards.punchcards.benefits import PunchCardBenefit
        from cards.punchcards.demo import PunchCardsDemo
        from cards.punchcards.kinds import PunchCardKind
        from cards.punchcards.reports import PunchCardsReport
        from cards.punchcards.views import cards_tile
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
        from merchants.views import HOME_SECTIONS

        register_api_errors(errors.API_ERRORS)
        register_auditor("punchcards", services.audit_punch_cards)
        for instrument in liabilities.INSTRUMENTS:
            liability_instruments.register(instrument)
        benefits.register(PunchCardBenefit())
        card_kinds.register(PunchCardKind())
        demo_data.register(PunchCardsDemo)
        reports.register(PunchCardsReport())
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.PURCHASE_PURPOSE, services.fulfil_purchase, services.fail_purchase)
        # Cashiers sell and use cards; undoing a use and refunds stay with managers and owners.
        grant("cashier", ["punchcards.view_punchcard", "punchcards.add_punchcard", "punchcards.use_punchcard",
                          "punchcards.view_punchcarduse", "punchcards.view_punchcardproduct",
                          "punchcards.view_couser"])
        if cards_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(cards_tile)
