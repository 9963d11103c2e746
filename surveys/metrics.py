"""The surveys' metrics (served by core.metrics at /metrics): responses stored, by channel.

Counted when the transaction that stored them commits, whatever the path (QR and kiosk forms,
dossier ratings, paper entry, imports): a rolled-back response is never counted.
"""

from __future__ import annotations

from sqlalchemy import event

from core.metrics import count_on_commit, counter
from surveys.models import Response

SURVEY_SUBMISSIONS = counter("langnghe_survey_submissions",
                             "Survey responses stored, by channel", ("channel",))


@event.listens_for(Response, "after_insert")
def _count_response(_mapper, _connection, response: Response) -> None:
    count_on_commit(response, SURVEY_SUBMISSIONS, channel=response.channel)
