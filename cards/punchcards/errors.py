"""Error codes of the punch card app (stable: terminals and pages match on them)."""

from loyalty.errors import ErrorCode

PRODUCT_NOT_ON_SALE = "punch_card_not_on_sale"
HOLDING_LIMIT_REACHED = "punch_card_limit_reached"
CARD_NOT_ACTIVE = "punch_card_not_active"
CARD_EXPIRED = "punch_card_expired"
CARD_NOT_STARTED = "punch_card_not_started"
NOT_ENOUGH_USES = "punch_card_not_enough_uses"
WRONG_STORE = "punch_card_wrong_store"
CO_USER_UNKNOWN = "punch_card_co_user_unknown"
CO_USER_LIMIT_REACHED = "punch_card_co_user_limit_reached"
CO_USERS_FULL = "punch_card_co_users_full"
CO_USER_PHONE_INVALID = "punch_card_co_user_phone_invalid"
CO_USER_EXISTS = "punch_card_co_user_exists"
USE_ALREADY_UNDONE = "punch_card_use_already_undone"
UNDO_TOO_LATE = "punch_card_undo_too_late"
NOT_REFUNDABLE = "punch_card_not_refundable"
MEMBER_FROZEN = "member_frozen"
PRODUCT_NOT_FOUND = "punch_card_product_not_found"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in PunchCardsConfig.ready().
API_ERRORS = (
    ErrorCode(PRODUCT_NOT_FOUND, 404, "No punch card product with this id at this merchant."),
    ErrorCode(PRODUCT_NOT_ON_SALE, 409, "This punch card is not on sale."),
    ErrorCode(HOLDING_LIMIT_REACHED, 409, "The member already holds as many of these cards as one member may."),
    ErrorCode(CARD_NOT_ACTIVE, 409, "The card is not active (used up, refunded or void)."),
    ErrorCode(CARD_EXPIRED, 409, "The card's validity has ended."),
    ErrorCode(CARD_NOT_STARTED, 409, "The card's validity has not begun yet."),
    ErrorCode(NOT_ENOUGH_USES, 409, "The card has fewer uses left than asked for."),
    ErrorCode(WRONG_STORE, 409, "The card cannot be used at this terminal's store."),
    ErrorCode(CO_USER_UNKNOWN, 400, "`used_by_phone` is not a co-user of this card."),
    ErrorCode(CO_USER_LIMIT_REACHED, 409, "This co-user has used the card as often as the merchant allows."),
    ErrorCode(CO_USERS_FULL, 400, "The card already has as many co-users as it may."),
    ErrorCode(CO_USER_PHONE_INVALID, 400, "The co-user's phone number is not a valid phone number."),
    ErrorCode(CO_USER_EXISTS, 400, "This phone is already a co-user of the card."),
    ErrorCode(USE_ALREADY_UNDONE, 409, "This use has already been undone."),
    ErrorCode(UNDO_TOO_LATE, 409, "The time in which a use may be undone has passed."),
    ErrorCode(NOT_REFUNDABLE, 409, "The merchant does not refund this card."),
)
