"""Every Flask extension singleton lives here, so any module can import them without cycles."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from core.replica import RoutingSession

# A naming convention makes constraint names stable across SQLite and PostgreSQL,
# which Alembic's batch mode needs to alter tables on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# RoutingSession: plain reads inside core.replica.replica_reads() may go to a read replica.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Every per-IP limit keys on REMOTE_ADDR: behind TRUSTED_PROXY_HOPS proxies, ProxyFix
# (core.factory.trust_proxies) has set it to the client's own address, never a forged one.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
