"""surveys: a dossier's legal appointment date (form 01, TT 01/2018/TT-VPCP) apart from the
date an apology letter (form 04) re-sets, with the letter's number and date. The appointment
date stored so far becomes the legal one.

Revision ID: 0011_dossier_reset_dates
Revises: 0010_worklist_indexes
Create Date: 2026-12-07 06:10:00

"""
import sqlalchemy as sa
from alembic import op

import core.models.types

# revision identifiers, used by Alembic.
revision = '0011_dossier_reset_dates'
down_revision = '0010_worklist_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_dossiers', schema=None) as batch_op:
        batch_op.alter_column('appointed_at', new_column_name='legal_appointed_at',
                              existing_type=sa.DateTime(), existing_nullable=True)
        batch_op.add_column(sa.Column('reset_appointed_at', core.models.types.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('apology_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('apology_date', sa.Date(), nullable=True))


def downgrade():
    # The re-set date and its letter have no place in the old schema and are dropped.
    with op.batch_alter_table('survey_dossiers', schema=None) as batch_op:
        batch_op.drop_column('apology_date')
        batch_op.drop_column('apology_number')
        batch_op.drop_column('reset_appointed_at')
        batch_op.alter_column('legal_appointed_at', new_column_name='appointed_at',
                              existing_type=sa.DateTime(), existing_nullable=True)
