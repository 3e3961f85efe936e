"""Form pieces shared by every domain."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField


class LocalDateTimeField(DateTimeLocalField):
    """A datetime typed in the event's local time (Europe/Stockholm), stored as aware UTC."""

    def __init__(self, label=None, validators=None, tz: str = "Europe/Stockholm", **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(label, validators, **kwargs)
        self.tz = ZoneInfo(tz)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=self.tz)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M")
        return ""


LOCAL_TIME_HELP = _l("Local time in Sweden")
