"""Column types shared by every domain."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, types


class UTCDateTime(types.TypeDecorator):
    """Stores naive UTC, returns aware UTC; refuses naive datetimes so no time goes in unzoned."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
