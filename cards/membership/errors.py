"""Error codes of the membership app (stable: terminals, checkout and pages match on them)."""

from loyalty.errors import ErrorCode

POINTS_INSUFFICIENT = "points_insufficient"
POINTS_OVER_LIMIT = "points_over_limit"
POINTS_BILL_TOO_SMALL = "points_bill_too_small"
POINTS_NOT_MULTIPLE = "points_not_multiple"
POINTS_DEDUCTION_OFF = "points_deduction_off"
POINTS_INVALID = "points_invalid"
EXPERIENCE_INVALID = "experience_invalid"
SPEND_INVALID = "spend_invalid"
REFERENCE_REQUIRED = "membership_reference_required"
ADJUSTMENT_REASON_REQUIRED = "adjustment_reason_required"
MEMBER_NOT_FOUND = "member_not_found"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in MembershipConfig.ready().
API_ERRORS = (
    ErrorCode(POINTS_INSUFFICIENT, 409, "The member has fewer points than asked for."),
    ErrorCode(POINTS_OVER_LIMIT, 400, "More points than one bill may use, or more than the bill is worth."),
    ErrorCode(POINTS_BILL_TOO_SMALL, 400, "The bill is below the least amount on which points may be used."),
    ErrorCode(POINTS_NOT_MULTIPLE, 400, "Points are used in multiples of the merchant's unit."),
    ErrorCode(POINTS_DEDUCTION_OFF, 400, "Points cannot pay for bills at this merchant."),
    ErrorCode(POINTS_INVALID, 400, "Points must be a whole number of at least zero, or \"max\"."),
)
