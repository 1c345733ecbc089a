"""Every state change of the wallet app, one function per business action."""

from wallet.services.accounts import (  # noqa: F401
    debit_wallet,
    plan_wallet_draw,
    record_entry,
    refund_shares,
    refund_wallet_debit,
    wallet_for,
    wallet_for_update,
    wallet_settings,
)
from wallet.services.audit import audit_wallets  # noqa: F401
from wallet.services.marketing import (  # noqa: F401
    balance_tier_discount,
    balance_tier_for,
    cashback_for_payment,
    cashback_lots,
    cashback_rule_for,
    claim_red_packet,
    expire_cashback,
    give_cashback,
    give_red_packets,
    take_back_cashback,
    wallet_summary,
)
from wallet.services.recharges import (  # noqa: F401
    RECHARGE_PURPOSE,
    add_months,
    check_stored_value_can_be_turned_off,
    credit_principal_from_gift_card,
    current_offers,
    describe_offers,
    fail_recharge_payment,
    fulfil_recharge_payment,
    liability,
    offer_for_amount,
    offers_to_show_after_payment,
    pay_due_instalments,
    pay_instalment,
    recharge,
    refund_preview,
    refund_recharge,
    set_stored_value_enabled,
    settings_for_update,
    start_online_recharge,
)
