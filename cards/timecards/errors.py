"""Error codes of the time card app (stable: terminals and pages match on them)."""

from loyalty.errors import ErrorCode

NOT_ON_SALE = "time_card_not_on_sale"
NOT_ACTIVE = "time_card_not_active"
NOT_STARTED = "time_card_not_started"
EXPIRED = "time_card_expired"
DAILY_LIMIT_REACHED = "time_card_daily_limit_reached"
WRONG_STORE = "time_card_wrong_store"
ONE_USE_AT_A_TIME = "time_card_one_use_at_a_time"
PHOTO_MISSING = "time_card_photo_missing"
PHOTO_INVALID = "time_card_photo_invalid"
PHOTO_EXISTS = "time_card_photo_exists"
IDENTITY_NOT_CONFIRMED = "time_card_identity_not_confirmed"
USE_ALREADY_UNDONE = "time_card_use_already_undone"
UNDO_TOO_LATE = "time_card_undo_too_late"
NOT_REFUNDABLE = "time_card_not_refundable"
MEMBER_FROZEN = "member_frozen"
TIER_NOT_FOUND = "time_card_tier_not_found"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in TimeCardsConfig.ready().
API_ERRORS = (
    ErrorCode(TIER_NOT_FOUND, 404, "No time card tier with this id at this merchant."),
    ErrorCode(NOT_ON_SALE, 409, "This time card is not on sale."),
    ErrorCode(NOT_ACTIVE, 409, "The card is not active (refunded or void)."),
    ErrorCode(NOT_STARTED, 409, "The card's period has not begun yet."),
    ErrorCode(EXPIRED, 409, "The card's period has ended."),
    ErrorCode(DAILY_LIMIT_REACHED, 409, "The card has been used as often today as it may be, in the merchant's day."),
    ErrorCode(WRONG_STORE, 409, "The card cannot be used at this terminal's store."),
    ErrorCode(ONE_USE_AT_A_TIME, 400, "A time card records one visit at a time: `count` must be 1."),
    ErrorCode(PHOTO_MISSING, 409, "The merchant checks identity and the member has no photo yet."),
    ErrorCode(PHOTO_INVALID, 400, "The photo is not a JPEG, PNG or WebP image of an accepted size."),
    ErrorCode(PHOTO_EXISTS, 400, "The member already has a photo."),
    ErrorCode(IDENTITY_NOT_CONFIRMED, 409, "The merchant checks identity: send `identity_confirmed: true` once "
                                           "the cashier has compared the photo with the person."),
    ErrorCode(USE_ALREADY_UNDONE, 409, "This use has already been undone."),
    ErrorCode(UNDO_TOO_LATE, 409, "The time in which a use may be undone has passed."),
    ErrorCode(NOT_REFUNDABLE, 409, "The merchant does not refund this card."),
)
