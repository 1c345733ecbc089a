"""Every state change of the checkout app, one function per business action."""

from checkout.services.bills import Bill, checkout_settings, find_member, parse_lines, parse_points  # noqa: F401
from checkout.services.payments import Quote, complete_payment, pay, quote  # noqa: F401
from checkout.services.refunds import refund_payment, split_refund  # noqa: F401
from checkout.services.rewards import (  # noqa: F401
    copy_rule,
    credit_held_rewards,
    give_rewards,
    rules_for_payment,
    withdraw_rewards,
)
from checkout.services.selfpay import (  # noqa: F401
    SELF_PAY_PURPOSE,
    best_quote,
    coupons_to_try,
    fail_self_pay,
    fulfil_self_pay,
    start_self_pay,
    usable_coupons,
)
from checkout.services.webhook import take_report, verify  # noqa: F401
