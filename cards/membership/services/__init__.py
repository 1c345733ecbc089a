"""Every state change of the membership card, one function per business action (the contract other apps call)."""

from cards.membership.services.audit import audit_points  # noqa: F401
from cards.membership.services.expiry import expire_points, warn_expiring_points  # noqa: F401
from cards.membership.services.ledger import (  # noqa: F401
    Earned,
    Shortfall,
    adjust_points,
    card_for,
    cards_for_update,
    earn_for_payment,
    expire_due_buckets,
    grant_experience,
    grant_points,
    spend_and_earn_for_payment,
    spend_points,
    take_back_for_refund,
)
from cards.membership.services.levels import (  # noqa: F401
    current_level,
    join_asks_for_details,
    level_for,
    levels_of,
    next_level,
    points_expiry_date,
    program_for,
    qualifying_amount,
)
from cards.membership.services.pricing import (  # noqa: F401
    PointsDeduction,
    experience_for_payment,
    points_deduction,
    points_for_payment,
)
from cards.membership.services.reviews import recompute_levels, warn_level_drops  # noqa: F401
