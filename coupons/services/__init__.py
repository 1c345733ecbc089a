"""Every state change of the coupons app, one function per business action."""

from coupons.services.issuance import (  # noqa: F401
    cancel_issuance,
    create_issuance,
    empty_send_message,
    parse_phone_list,
    resume_issuance,
    run_issuance,
    segment_members,
    validate_segment,
)
from coupons.services.lifecycle import (  # noqa: F401
    accept_gift,
    cancel_gift,
    check_audience,
    check_issuable,
    claim_coupon,
    claim_through_share,
    exchange_points_for_coupon,
    expire_coupons,
    friends_helped,
    gift_is_open,
    issue_coupon,
    record_claim_page_view,
    return_unclaimed_gifts,
    set_template_status,
    set_template_stock,
    start_gift,
    void_coupon,
)
from coupons.services.purchases import (  # noqa: F401
    COUPON_PURCHASE_PURPOSE,
    fail_coupon_purchase,
    fulfil_coupon_purchase,
    give_reward_coupon,
    start_coupon_purchase,
)
from coupons.services.redemption import (  # noqa: F401
    find_coupon_by_code,
    redeem_coupon,
    redeem_locked_coupon,
    reverse_redemption,
)
from coupons.services.rules import coupon_discount, effective_state, validity_for  # noqa: F401
from coupons.services.stats import channel_figures, daily_figures, template_figures  # noqa: F401
