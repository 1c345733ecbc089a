"""Error codes of the coupons app (see loyalty.errors for the shape)."""

from loyalty.errors import ErrorCode

COUPON_NOT_FOUND = "coupon_not_found"
COUPON_CODE_MISTYPED = "coupon_code_mistyped"
COUPON_EXPIRED = "coupon_expired"
COUPON_NOT_YET_VALID = "coupon_not_yet_valid"
COUPON_USED = "coupon_used"
COUPON_NOT_USABLE = "coupon_not_usable"
COUPON_LOCKED = "coupon_locked"
COUPON_WRONG_STORE = "coupon_wrong_store"
COUPON_WRONG_MERCHANT = "coupon_wrong_merchant"
COUPON_OUTSIDE_HOURS = "coupon_outside_hours"
COUPON_BELOW_MINIMUM = "coupon_below_minimum"
COUPON_NOT_APPLICABLE = "coupon_not_applicable"
COUPON_STATE_CHANGE = "coupon_state_change"
COUPON_NOT_REDEEMED = "coupon_not_redeemed"
COUPON_REVERSAL_TOO_LATE = "coupon_reversal_too_late"
TEMPLATE_NOT_CLAIMABLE = "coupon_template_not_claimable"
TEMPLATE_OUT_OF_STOCK = "coupon_out_of_stock"
CLAIM_LIMIT_REACHED = "coupon_claim_limit"
AUDIENCE_REFUSED = "coupon_audience_refused"
STOCK_BELOW_ISSUED = "coupon_stock_below_issued"
NOT_GIFTABLE = "coupon_not_giftable"
GIFT_NOT_AVAILABLE = "coupon_gift_not_available"
GIFT_TO_SELF = "coupon_gift_to_self"
FISSION_NOT_AVAILABLE = "coupon_fission_not_available"
FISSION_OWN_LINK = "coupon_fission_own_link"
FISSION_ALREADY_HELPED = "coupon_fission_already_helped"
NOT_ON_POINTS_SHELF = "coupon_not_for_points"
ISSUANCE_NOT_RUNNABLE = "coupon_issuance_not_runnable"
SEGMENT_INVALID = "coupon_segment_invalid"
ISSUANCE_EMPTY = "coupon_issuance_empty"
TEMPLATE_NOT_FOR_SALE = "coupon_not_for_sale"
TEMPLATE_FOR_SALE = "coupon_for_sale"
CHANNEL_NOT_OF_TEMPLATE = "coupon_channel_not_of_template"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in CouponsConfig.ready().
API_ERRORS = (
    ErrorCode(COUPON_NOT_FOUND, 404, "No coupon with this code at this merchant."),
    ErrorCode(COUPON_CODE_MISTYPED, 400, "The code's check digit is wrong: it was mistyped."),
    ErrorCode(COUPON_EXPIRED, 400, "The coupon has expired."),
    ErrorCode(COUPON_NOT_YET_VALID, 400, "The coupon is not valid yet."),
    ErrorCode(COUPON_USED, 409, "The coupon has already been used."),
    ErrorCode(COUPON_NOT_USABLE, 409, "The coupon is voided, gifted away or otherwise not usable."),
    ErrorCode(COUPON_LOCKED, 400, "The coupon is held by a payment in progress."),
    ErrorCode(COUPON_WRONG_STORE, 400, "The coupon cannot be used at this store."),
    ErrorCode(COUPON_WRONG_MERCHANT, 404, "The coupon belongs to another merchant."),
    ErrorCode(COUPON_OUTSIDE_HOURS, 400, "The coupon cannot be used at this time of day or on this weekday."),
    ErrorCode(COUPON_BELOW_MINIMUM, 400, "The bill is below the coupon's minimum spend."),
    ErrorCode(COUPON_NOT_APPLICABLE, 400, "Nothing on the bill is in the coupon's scope."),
)
