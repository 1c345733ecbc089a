"""Error codes of the wallet app (stable: terminals and pages match on them)."""

from loyalty.errors import ErrorCode

STORED_VALUE_OFF = "stored_value_off"
STORED_VALUE_HELD = "stored_value_held"
INSUFFICIENT_BALANCE = "insufficient_balance"
DEBIT_REFERENCE_USED = "wallet_debit_reference_used"
REFUND_TOO_LARGE = "wallet_refund_too_large"
RECHARGE_NOT_REFUNDABLE = "recharge_not_refundable"
MEMBER_NOT_FOUND = "member_not_found"
MEMBER_FROZEN = "member_frozen"
OFFER_NOT_FOUND = "recharge_offer_not_found"
RED_PACKET_NOT_AVAILABLE = "red_packet_not_available"
RED_PACKET_LIMIT_REACHED = "red_packet_limit_reached"
RED_PACKET_BUDGET_EXHAUSTED = "red_packet_budget_exhausted"
WRONG_MERCHANT = "wrong_merchant"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in WalletConfig.ready().
API_ERRORS = (
    ErrorCode(STORED_VALUE_OFF, 400, "Stored value is switched off at this merchant."),
    ErrorCode(STORED_VALUE_HELD, 400, "The member already holds the most stored value the merchant allows."),
    ErrorCode(INSUFFICIENT_BALANCE, 409, "The wallet no longer holds enough for its part of the bill: quote again."),
)
