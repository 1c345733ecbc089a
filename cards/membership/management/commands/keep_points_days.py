"""Keep the daily points sums of past days (membership.PointsDay): `--days 400` after an import or a restore."""

from cards.membership.services.points_days import keep_points_days
from merchants.kept_days import keeping

Command = keeping(keep_points_days, "Build the kept daily points sums of the last N days (idempotent), for one "
                                    "merchant or all.")
