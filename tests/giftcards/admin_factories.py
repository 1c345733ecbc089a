"""One row of a tenant per gift card admin model, for the tenant-isolation tests."""

from cards.giftcards import services
from cards.giftcards.models import GiftCardEntry, GiftCardUse
from tests.giftcards.helpers import buy, make_face_value, make_theme


def _use(t):
    [card] = buy(t.member)
    services.draw_cards([(services.cards_for_update([card.pk])[card.pk], card.balance)], reference="A-PAY-1",
                        store=t.store)
    return GiftCardUse.objects.get(card=card)


def _transfer(t):
    [card] = buy(t.member)
    return services.send_card(card, t.member)


FACTORIES = {
    "giftcards.giftcardsettings": lambda t: services.gift_card_settings(t.merchant),
    "giftcards.facevalue": lambda t: make_face_value(t.merchant),
    "giftcards.theme": lambda t: make_theme(t.merchant, make_face_value(t.merchant)),
    "giftcards.giftcardpurchase": lambda t: buy(t.member)[0].purchase,
    "giftcards.giftcard": lambda t: buy(t.member)[0],
    "giftcards.giftcardentry": lambda t: GiftCardEntry.objects.get(card=buy(t.member)[0]),
    "giftcards.giftcarduse": _use,
    "giftcards.giftcardtransfer": _transfer,
}
