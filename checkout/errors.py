"""Error codes of the checkout app (stable: terminals and pages match on them)."""

from loyalty.errors import ErrorCode

MEMBER_NOT_FOUND = "member_not_found"
MEMBER_FROZEN = "member_frozen"
MEMBER_INVALID = "member_invalid"
STORE_CLOSED = "store_closed"
INSUFFICIENT_BALANCE = "insufficient_balance"
RANDOM_BUDGET_USED_UP = "random_budget_used_up"
STORED_VALUE_OFF = "stored_value_off"
EXTERNAL_REQUIRED = "external_required"
EXTERNAL_TOO_LARGE = "external_too_large"
EXTERNAL_CHANNEL_INVALID = "external_channel_invalid"
TRADE_NUMBER_USED = "trade_number_used"
LINES_INVALID = "lines_invalid"
POINTS_INVALID = "points_invalid"
PAYMENT_NOT_FOUND = "payment_not_found"
REFUND_TOO_LARGE = "refund_too_large"
WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
WEBHOOK_TOO_OLD = "webhook_too_old"
WEBHOOK_MALFORMED = "webhook_malformed"
WEBHOOK_STORE_UNKNOWN = "webhook_store_unknown"
COUPON_OTHER_MEMBER = "coupon_other_member"
PAYMENT_NOT_REFUNDABLE = "payment_not_refundable"
EXTERNAL_AMOUNT_MISMATCH = "external_amount_mismatch"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in CheckoutConfig.ready().
API_ERRORS = (
    ErrorCode(MEMBER_INVALID, 400, "`member` must be an object with a `phone` or a `code`."),
    ErrorCode(RANDOM_BUDGET_USED_UP, 409, "The random reduction's budget ran out between quote and payment."),
    ErrorCode(EXTERNAL_REQUIRED, 400, "Part of the bill is left for an outside channel, and `external` is missing."),
    ErrorCode(EXTERNAL_TOO_LARGE, 400, "The outside payment is more than the amount due."),
    ErrorCode(EXTERNAL_CHANNEL_INVALID, 400, "`external` is not an object, or its channel or trade number is "
                                             "invalid."),
    ErrorCode(EXTERNAL_AMOUNT_MISMATCH, 409, "The outside payment is not the amount left for it."),
    ErrorCode(TRADE_NUMBER_USED, 409, "This trade number has already been recorded."),
    ErrorCode(LINES_INVALID, 400, "`lines` is not a list of items with a sku, a category and an amount."),
    ErrorCode(PAYMENT_NOT_FOUND, 404, "No payment with this id at this merchant."),
    ErrorCode(REFUND_TOO_LARGE, 409, "The refund is more than what is left to refund of the payment."),
    ErrorCode(PAYMENT_NOT_REFUNDABLE, 409, "The payment is pending, failed or already fully refunded."),
    ErrorCode(COUPON_OTHER_MEMBER, 409, "The coupon belongs to another member than the one paying."),
    ErrorCode(WEBHOOK_SIGNATURE_INVALID, 403, "The report's signature is wrong, or the merchant is unknown."),
    ErrorCode(WEBHOOK_TOO_OLD, 403, "The report's timestamp is more than 5 minutes away from now."),
    ErrorCode(WEBHOOK_MALFORMED, 400, "The report is not JSON, or lacks the merchant or the trade number."),
    ErrorCode(WEBHOOK_STORE_UNKNOWN, 404, "The report names a store this merchant does not have."),
)
