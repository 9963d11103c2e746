"""surveys: rating strings on responses (the full recompute reads them instead of JSON)

Revision ID: 0006_response_ratings
Revises: 0005_reports
Create Date: 2026-11-25 23:50:00

"""
import json

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006_response_ratings'
down_revision = '0005_reports'
branch_labels = None
depends_on = None

_BATCH = 5000
# The format of surveys.rating_codes, repeated here on purpose: a migration must keep doing
# what it did when it was written, whatever the application code becomes later.
_RATED = {"scale5", "scale4", "scale3", "single", "yesno"}
_ZERO, _MAX, _BLANK = 48, 74, "."


def upgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ratings', sa.Text(), nullable=True))
    _backfill()


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_column('ratings')


def _backfill():
    """Write the rating string of every existing response, a batch at a time."""
    bind = op.get_bind()
    codes = {}
    for version_id, code, answer_type, demographic in bind.execute(sa.text(
            "SELECT version_id, code, answer_type, demographic FROM survey_items")):
        found = codes.setdefault(version_id, [])
        if not demographic and answer_type in _RATED:
            found.append(code)
    codes = {version: sorted(found) for version, found in codes.items()}
    update = sa.text("UPDATE survey_responses SET ratings = :ratings WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, version_id, answers FROM survey_responses WHERE id > :last "
            "ORDER BY id LIMIT :batch"), {"last": last, "batch": _BATCH}).all()
        if not rows:
            return
        params = []
        for response_id, version_id, answers in rows:
            if isinstance(answers, str):  # SQLite hands JSON back as text here
                answers = json.loads(answers)
            params.append({"id": response_id,
                           "ratings": _encode(codes.get(version_id, []), answers or {})})
        bind.execute(update, params)
        last = rows[-1][0]


def _encode(codes, answers):
    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool)

    positions = set(codes)
    if any(whole(value) and (code not in positions or not 0 <= value <= _MAX)
           for code, value in answers.items()):
        return None
    return "".join(chr(_ZERO + answers[code]) if whole(answers.get(code)) else _BLANK
                   for code in codes)
