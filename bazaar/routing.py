"""URL converters and query-string readers shared by every blueprint."""

from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in Bazaar URLs names a row: only 1..2**31-1 matches, anything else is a 404.

    Larger numbers cannot name a row and would overflow PostgreSQL's integer columns."""

    def __init__(self, map, fixed_digits=0, min=1, max=ROW_ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


PAGE_MAX = 100_000


def page_number(args) -> int:
    """``?page=`` as 1..:data:`PAGE_MAX`; junk or huge numbers (which would overflow the OFFSET) clamp."""
    return max(1, min(args.get("page", 1, type=int), PAGE_MAX))


def link_args(args, form) -> dict:
    """The query arguments worth repeating in a pager or download link: only ``form``'s own fields,
    so unknown keys (``_external``, ``event_id`` ...) never reach ``url_for``."""
    return {name: args[name] for name in form._fields if args.get(name)}


def init_app(app) -> None:
    app.url_map.converters["int"] = RowIdConverter
    app.jinja_env.globals["link_args"] = link_args
