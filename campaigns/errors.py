"""Error codes of the campaigns app (see loyalty.errors for the shape)."""

CAMPAIGN_TRIGGER_INVALID = "campaign_trigger_invalid"
CAMPAIGN_HOLDOUT_INVALID = "campaign_holdout_invalid"
CAMPAIGN_NOT_RUNNABLE = "campaign_not_runnable"
CAMPAIGN_EMPTY = "campaign_empty"
CAMPAIGN_MESSAGE_INVALID = "campaign_message_invalid"
OCCURRENCE_NOT_RUNNABLE = "occurrence_not_runnable"
SHORT_LINK_UNKNOWN = "short_link_unknown"
