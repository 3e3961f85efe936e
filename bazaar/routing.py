"""URL converters shared by every blueprint."""
from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in Bazaar URLs names a row: only 1..2**31-1 matches, anything else is a 404.

    Larger numbers cannot name a row and would overflow PostgreSQL's integer columns."""

    def __init__(self, map, fixed_digits=0, min=1, max=ROW_ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = RowIdConverter
