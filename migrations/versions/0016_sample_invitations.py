"""surveys: random-sample invitations (consented dossier contacts, draws, invitations);
outbox: the provider's message id

Revision ID: 0016_sample_invitations
Revises: 0015_integrity_flags
Create Date: 2026-12-07 17:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0016_sample_invitations'
down_revision = '0015_integrity_flags'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_consent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('contact_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('contact_channel', sa.String(length=16), nullable=True))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=100),
                                      nullable=True))

    op.create_table('survey_sample_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('requested_size', sa.Integer(), nullable=False),
    sa.Column('frame_size', sa.Integer(), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('frame_digest', sa.String(length=64), nullable=False),
    sa.Column('strata', sa.JSON().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_survey_sample_draws_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_survey_sample_draws_unit_id_units'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_sample_draws'))
    )
    with op.batch_alter_table('survey_sample_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_sample_draws_unit_id'), ['unit_id'],
                              unique=False)

    op.create_table('survey_sample_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('sent_via', sa.String(length=16), nullable=True),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['survey_dossiers.id'],
                            name=op.f('fk_survey_sample_invitations_dossier_id_survey_dossiers'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['draw_id'], ['survey_sample_draws.id'],
                            name=op.f('fk_survey_sample_invitations_draw_id_survey_sample_draws'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'],
                            name=op.f('fk_survey_sample_invitations_outbox_message_id_'
                                      'outbox_messages'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['token_id'], ['survey_rating_tokens.id'],
                            name=op.f('fk_survey_sample_invitations_token_id_'
                                      'survey_rating_tokens'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_sample_invitations')),
    sa.UniqueConstraint('draw_id', 'dossier_id',
                        name=op.f('uq_survey_sample_invitations_draw_id'))
    )
    with op.batch_alter_table('survey_sample_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_sample_invitations_draw_id'), ['draw_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_survey_sample_invitations_dossier_id'),
                              ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_sample_invitations_token_id'),
                              ['token_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_sample_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_sample_invitations_token_id'))
        batch_op.drop_index(batch_op.f('ix_survey_sample_invitations_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_survey_sample_invitations_draw_id'))
    op.drop_table('survey_sample_invitations')
    with op.batch_alter_table('survey_sample_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_sample_draws_unit_id'))
    op.drop_table('survey_sample_draws')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('provider_message_id')
    with op.batch_alter_table('survey_dossiers', schema=None) as batch_op:
        batch_op.drop_column('contact_channel')
        batch_op.drop_column('contact_enc')
        batch_op.drop_column('contact_consent')
