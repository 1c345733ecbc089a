"""Error codes of the campaigns app (see loyalty.errors for the shape)."""

from loyalty.errors import ErrorCode

CAMPAIGN_TRIGGER_INVALID = "campaign_trigger_invalid"
CAMPAIGN_HOLDOUT_INVALID = "campaign_holdout_invalid"
CAMPAIGN_NOT_RUNNABLE = "campaign_not_runnable"
CAMPAIGN_EMPTY = "campaign_empty"
CAMPAIGN_MESSAGE_INVALID = "campaign_message_invalid"
OCCURRENCE_NOT_RUNNABLE = "occurrence_not_runnable"
SHORT_LINK_UNKNOWN = "short_link_unknown"
CAMPAIGN_NOT_FOUND = "campaign_not_found"

# What the API's schema says each code means (loyalty.errors.ErrorCode); registered in CampaignsConfig.ready().
API_ERRORS = (
    ErrorCode(CAMPAIGN_NOT_FOUND, 404, "No live campaign with this id at this merchant (drafts and ended ones are "
                                       "not shown)."),
)
