"""Models of the surveys package. Importing this module registers every survey table."""

from surveys.models.campaigns import Campaign, CampaignUnit
from surveys.models.dossiers import Dossier, RatingToken, SurveyImport
from surveys.models.instruments import (
    AnswerType,
    Instrument,
    InstrumentVersion,
    Item,
    Section,
    VersionStatus,
)
from surveys.models.points import CollectionPoint
from surveys.models.responses import (
    NO_CAMPAIGN,
    QUALITY_FLAGGED,
    QUALITY_OK,
    Channel,
    Response,
    ResponseDemographics,
    ResponseText,
    RollupCount,
    RollupDayResponses,
    RollupMonthCount,
    RollupMonthResponses,
    RollupMonthState,
    RollupMonthSummary,
)
from surveys.models.samples import SampleDraw, SampleInvitation

__all__ = [
    "NO_CAMPAIGN",
    "QUALITY_FLAGGED",
    "QUALITY_OK",
    "AnswerType",
    "Campaign",
    "CampaignUnit",
    "Channel",
    "CollectionPoint",
    "Dossier",
    "Instrument",
    "InstrumentVersion",
    "Item",
    "Response",
    "ResponseDemographics",
    "RatingToken",
    "ResponseText",
    "RollupCount",
    "RollupDayResponses",
    "RollupMonthCount",
    "RollupMonthResponses",
    "RollupMonthState",
    "RollupMonthSummary",
    "SampleDraw",
    "SampleInvitation",
    "Section",
    "SurveyImport",
    "VersionStatus",
]
