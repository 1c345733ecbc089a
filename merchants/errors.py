"""Error codes of the merchants app (see loyalty.errors for the shape)."""

from loyalty.errors import ErrorCode

PHONE_INVALID = "phone_invalid"
MEMBER_NOT_FOUND = "member_not_found"
MEMBER_EXISTS = "member_exists"
MEMBER_FROZEN = "member_frozen"
MEMBER_FIELD_INVALID = "member_field_invalid"
MEMBER_FIELD_REQUIRED = "member_field_required"
MEMBER_CODE_INVALID = "member_code_invalid"
MEMBER_CODE_EXPIRED = "member_code_expired"
LOOKUP_REQUIRED = "lookup_required"
LOGIN_CODE_INVALID = "login_code_invalid"
LOGIN_CODE_EXPIRED = "login_code_expired"
LOGIN_CODE_TOO_MANY_ATTEMPTS = "login_code_too_many_attempts"
LOGIN_CODE_SENT_TOO_SOON = "login_code_sent_too_soon"
LOGIN_RATE_LIMITED = "login_rate_limited"
TERMINAL_KEY_INVALID = "terminal_key_invalid"
TERMINAL_REVOKED = "terminal_revoked"
STORE_CLOSED = "store_closed"
CONSENT_HOW_INVALID = "consent_how_invalid"
OPT_OUT_LINK_INVALID = "opt_out_link_invalid"
CASHIER_UNKNOWN = "cashier_unknown"
CASHIER_WRONG_STORE = "cashier_wrong_store"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in MerchantsConfig.ready().
API_ERRORS = (
    ErrorCode(TERMINAL_KEY_INVALID, 401, "The terminal key is unknown or malformed."),
    ErrorCode(TERMINAL_REVOKED, 401, "The terminal was revoked, or its merchant is no longer active."),
    ErrorCode(PHONE_INVALID, 400, "The phone number is not a mobile number."),
    ErrorCode(MEMBER_NOT_FOUND, 404, "No member with this phone, code or id at this merchant."),
    ErrorCode(MEMBER_EXISTS, 409, "A member with this phone number already exists."),
    ErrorCode(MEMBER_FROZEN, 400, "The membership is frozen: it can neither pay as a member nor recharge."),
    ErrorCode(MEMBER_FIELD_INVALID, 400, "A member attribute (custom field) has a value it does not allow."),
    ErrorCode(MEMBER_FIELD_REQUIRED, 400, "A member attribute the merchant requires is missing."),
    ErrorCode(MEMBER_CODE_INVALID, 400, "The scanned member code is not one of this merchant's."),
    ErrorCode(MEMBER_CODE_EXPIRED, 400, "The scanned member code has expired: ask the member to refresh it."),
    ErrorCode(LOOKUP_REQUIRED, 400, "Neither a phone number nor a member code was given."),
    ErrorCode(STORE_CLOSED, 400, "The terminal's store is closed and takes no payments."),
    ErrorCode(CASHIER_UNKNOWN, 400, "`cashier` is not the login of an active staff member of this merchant."),
    ErrorCode(CASHIER_WRONG_STORE, 409, "`cashier` is held to another store than the terminal's."),
)
