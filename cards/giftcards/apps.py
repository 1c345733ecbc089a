from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftCardsConfig(AppConfig):
    name = "cards.giftcards"
    label = "giftcards"
    verbose_name = _("Gift cards")

    def ready(self):
        from cards.giftcards import errors, events, liabilities, services
        from cards.giftcards.demo import GiftCardsDemo
        from cards.giftcards.reports import GiftCardsReport
        from cards.giftcards.tenders import GiftCardTender
        from cards.giftcards.views import gift_cards_tile
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.ledgers import register_auditor
        from loyalty.liabilities import liability_instruments
        from loyalty.payments import register_purpose
        from loyalty.reports import reports
        from loyalty.tenders import tenders
        from merchants.roles import grant
        from merchants.views import HOME_SECTIONS

        register_api_errors(errors.API_ERRORS)
        register_auditor("giftcards", services.audit_gift_cards)
        for instrument in liabilities.INSTRUMENTS:
            liability_instruments.register(instrument)
        tenders.register(GiftCardTender())
        register_purpose(services.GIFT_CARD_PURCHASE_PURPOSE, services.fulfil_gift_card_purchase,
                         services.fail_gift_card_purchase)
        demo_data.register(GiftCardsDemo)
        reports.register(GiftCardsReport())
        for kind in events.KINDS:
            event_kinds.register(kind)
        # A cashier looks a card up and sees its history, but configures nothing and sees no figures.
        grant("cashier", ["giftcards.view_giftcard", "giftcards.view_giftcardentry", "giftcards.view_giftcarduse"])
        if gift_cards_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(gift_cards_tile)
