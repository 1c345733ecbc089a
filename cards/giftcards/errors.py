"""Error codes of the gift card app (stable: terminals and pages match on them)."""

from loyalty.errors import ErrorCode

# Unknown, foreign, expired, not yet active, used up or void: one refusal, so a code's existence never leaks.
GIFT_CARD_UNUSABLE = "gift_card_unusable"
GIFT_CARD_NOT_HERE = "gift_card_not_accepted_here"
GIFT_CARD_SHARE_CHANGED = "gift_card_share_changed"
GIFT_CARD_CODES_INVALID = "gift_card_codes_invalid"
GIFT_CARD_STATE_CHANGE = "gift_card_state_change"
GIFT_CARD_NOT_YOURS = "gift_card_not_yours"
GIFT_CARD_LIMIT = "gift_card_over_legal_limit"
GIFT_CARD_VALIDITY = "gift_card_validity_invalid"
GIFT_CARD_NOT_FOR_SALE = "gift_card_not_for_sale"
GIFT_CARD_QUANTITY = "gift_card_quantity_invalid"
GIFT_CARD_SALE_FINAL = "gift_card_sale_final"
GIFT_CARD_TRANSFERS_USED = "gift_card_transfers_used"
GIFT_CARD_TRANSFER_CLOSED = "gift_card_transfer_closed"
GIFT_CARD_OWN_GIFT = "gift_card_own_gift"
GIFT_CARD_PHONE_REQUIRED = "gift_card_phone_required"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in GiftCardsConfig.ready().
API_ERRORS = (
    ErrorCode(GIFT_CARD_UNUSABLE, 404, "No usable gift card with this code: unknown, another merchant's, expired, "
                                       "not activated, used up or void (one answer for all, on purpose)."),
    ErrorCode(GIFT_CARD_NOT_HERE, 409, "The gift card cannot be spent at this terminal's store."),
    ErrorCode(GIFT_CARD_SHARE_CHANGED, 409, "A card's balance changed since the quote, so it cannot pay the amount "
                                            "asked for: quote again."),
    ErrorCode(GIFT_CARD_CODES_INVALID, 400, "`gift_cards` must be a list of codes, or of {\"code\", \"amount\"}, "
                                            "each card once."),
)
