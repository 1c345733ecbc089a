"""Demo gift cards for `manage.py seed_demo` (idempotent): themes, face values and cards in several statuses."""

from __future__ import annotations

from decimal import Decimal

from cards.giftcards import services
from cards.giftcards.models import FaceValue, GiftCard, GiftCardPurchase, Theme
from loyalty.demo import DemoData

D = Decimal
# (name, amount, price, validity, months, needs phone)
FACE_VALUES = [("100元礼品卡", "100.00", "95.00", FaceValue.Validity.MONTHS, 36, False),
               ("200元礼品卡", "200.00", "200.00", FaceValue.Validity.NEVER, None, False),
               ("1000元记名卡", "1000.00", "980.00", FaceValue.Validity.NEVER, None, True)]
THEMES = [("生日快乐", "祝你生日快乐，天天开心！"), ("感谢有你", "谢谢你一直以来的陪伴。")]
# Every this many new demo members buys cards, so a demo merchant shows a few in several statuses.
EVERY = 4


class GiftCardsDemo(DemoData):
    code = "giftcards"
    order = 55  # after the wallet, before checkout's payments

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        services.gift_card_settings(merchant)
        values = []
        for name, amount, price, validity, months, needs_phone in FACE_VALUES:
            value, _created = FaceValue.objects.get_or_create(merchant=merchant, name=name, defaults={
                "amount": D(amount), "price": D(price), "validity": validity, "valid_months": months,
                "needs_phone": needs_phone})
            values.append(value)
        for position, (name, greeting) in enumerate(THEMES):
            theme, created = Theme.objects.get_or_create(merchant=merchant, name=name, defaults={
                "greeting": greeting, "position": position})
            if created:
                theme.face_values.set(values)

    @classmethod
    def seed_member(cls, member) -> None:
        if member.pk % EVERY:
            return
        theme = Theme.objects.filter(merchant_id=member.merchant_id).order_by("position", "pk").first()
        if theme is None:
            return
        values = list(theme.face_values.order_by("amount"))
        # Bought as the gateway would fulfil them: one anonymous card, active, and one named card to activate.
        for value, quantity in ((values[0], 2), (values[-1], 1)):
            purchase = GiftCardPurchase.objects.create(
                merchant_id=member.merchant_id, buyer=member, theme=theme, face_value=value, quantity=quantity,
                unit_price=value.price, total=value.price * quantity, status=GiftCardPurchase.Status.PAID)
            services.issue_cards(purchase)
        cards = list(GiftCard.objects.filter(holder=member).order_by("pk"))
        if member.pk % (EVERY * 2) == 0:
            services.send_card(cards[0], member)  # one being sent
        named = next(card for card in cards if card.status == GiftCard.Status.NOT_ACTIVATED)
        if member.pk % (EVERY * 3) == 0:
            services.activate_card(named, phone=member.phone, member=member)
