"""surveys: daily response counts, so sample sizes come from the responses (issue 15)

Revision ID: 0012_day_responses
Revises: 0011_dossier_reset_dates
Create Date: 2026-12-07 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_day_responses'
down_revision = '0011_dossier_reset_dates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_rollup_day_responses',
    sa.Column('campaign_key', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('quality', sa.String(length=16), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_key', 'unit_id', 'day', 'channel', 'quality',
                            name=op.f('pk_survey_rollup_day_responses'))
    )
    fill_response_counts(op.execute, op.get_bind().dialect.name)


def fill_response_counts(execute, dialect: str) -> None:
    """Count the responses per day (Vietnam day: stored moments are naive UTC, and Vietnam is
    UTC+7 all year), then rebuild the month sample sizes from them instead of the old
    estimate (the most-answered item), so an upgraded install shows true sample sizes at once.
    Also run by tests/reports/test_sample_sizes.py on both databases."""
    sqlite = dialect == 'sqlite'
    day = "date(submitted_at, '+7 hours')" if sqlite else \
        "CAST(submitted_at + interval '7 hours' AS date)"
    month = "date(day, 'start of month')" if sqlite else "CAST(date_trunc('month', day) AS date)"
    execute(f"""
        INSERT INTO survey_rollup_day_responses
            (campaign_key, unit_id, day, channel, quality, responses)
        SELECT coalesce(campaign_id, 0), unit_id, {day}, channel, quality, count(*)
        FROM survey_responses
        GROUP BY coalesce(campaign_id, 0), unit_id, {day}, channel, quality
    """)
    execute("DELETE FROM survey_rollup_month_responses")
    execute(f"""
        INSERT INTO survey_rollup_month_responses
            (month, campaign_key, unit_id, channel, quality, responses)
        SELECT {month}, campaign_key, unit_id, channel, quality, sum(responses)
        FROM survey_rollup_day_responses
        GROUP BY {month}, campaign_key, unit_id, channel, quality
    """)


def downgrade():
    op.drop_table('survey_rollup_day_responses')
