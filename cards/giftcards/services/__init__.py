"""Every state change of a gift card, one function per business action (views, admin and API stay thin)."""

from cards.giftcards.services.audit import audit_gift_cards, gift_card_figures, owed_per_store
from cards.giftcards.services.cards import (
    Wanted,
    activate_card,
    cards_for_update,
    check_code,
    check_face_value,
    draw_cards,
    expire_cards,
    gift_card_settings,
    give_back_to_cards,
    is_usable,
    legal_limits,
    load_cards,
    merchant_zone,
    move_to_stored_value,
    plan_cards,
    usable_card,
    void_card,
)
from cards.giftcards.services.purchases import (
    GIFT_CARD_PURCHASE_PURPOSE,
    MOST_PER_PURCHASE,
    fail_gift_card_purchase,
    fulfil_gift_card_purchase,
    issue_cards,
    refuse_sale_refund,
    start_gift_card_purchase,
)
from cards.giftcards.services.transfers import claim_gift, open_gift, send_card, take_back

__all__ = [
    "GIFT_CARD_PURCHASE_PURPOSE", "MOST_PER_PURCHASE", "Wanted", "activate_card", "audit_gift_cards",
    "cards_for_update", "check_code", "check_face_value", "claim_gift", "draw_cards", "expire_cards",
    "fail_gift_card_purchase", "fulfil_gift_card_purchase", "gift_card_figures", "gift_card_settings",
    "give_back_to_cards", "is_usable", "issue_cards", "legal_limits", "load_cards", "merchant_zone", "move_to_stored_value", "open_gift",
    "owed_per_store", "plan_cards", "refuse_sale_refund", "send_card", "start_gift_card_purchase", "take_back",
    "usable_card", "void_card",
]
