"""surveys: a collection point's channel (desk QR or the standing online point of a unit, at
most one live per unit) and the procedure a citizen named when rating online

Revision ID: 0008_online_points
Revises: 0007_month_responses
Create Date: 2026-12-07 02:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_online_points'
down_revision = '0007_month_responses'
branch_labels = None
depends_on = None

LIVE_ONLINE = "channel = 'online' AND retired_at IS NULL"


def upgrade():
    with op.batch_alter_table('survey_collection_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False,
                                      server_default='desk_qr'))
    op.create_index('uq_survey_collection_points_online_unit', 'survey_collection_points',
                    ['unit_id'], unique=True, sqlite_where=sa.text(LIVE_ONLINE),
                    postgresql_where=sa.text(LIVE_ONLINE))
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('procedure_name', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_column('procedure_name')
    op.drop_index('uq_survey_collection_points_online_unit',
                  table_name='survey_collection_points')
    with op.batch_alter_table('survey_collection_points', schema=None) as batch_op:
        batch_op.drop_column('channel')
