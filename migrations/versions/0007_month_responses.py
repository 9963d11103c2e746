"""surveys: month response counts (dashboard sample sizes), month table indexed by channel

Revision ID: 0007_month_responses
Revises: 0006_response_ratings
Create Date: 2026-11-25 23:45:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007_month_responses'
down_revision = '0006_response_ratings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_rollup_month_responses',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('campaign_key', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('quality', sa.String(length=16), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'campaign_key', 'unit_id', 'channel', 'quality',
                            name=op.f('pk_survey_rollup_month_responses'))
    )
    op.create_index('ix_survey_rollup_month_counts_month_channel',
                    'survey_rollup_month_counts', ['month', 'channel'], unique=False)
    # Filled from the month table as rebuild_month_summary does, so an upgraded install shows
    # its sample sizes at once (the nightly full rebuild would also do it).
    op.execute("""
        INSERT INTO survey_rollup_month_responses
            (month, campaign_key, unit_id, channel, quality, responses)
        SELECT month, campaign_key, unit_id, channel, quality, max(answers)
        FROM (SELECT month, campaign_key, unit_id, channel, quality, item_code,
                     sum(count) AS answers
              FROM survey_rollup_month_counts
              GROUP BY month, campaign_key, unit_id, channel, quality, item_code) AS per_item
        GROUP BY month, campaign_key, unit_id, channel, quality
    """)


def downgrade():
    op.drop_index('ix_survey_rollup_month_counts_month_channel',
                  table_name='survey_rollup_month_counts')
    op.drop_table('survey_rollup_month_responses')
