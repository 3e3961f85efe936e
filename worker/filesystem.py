"""The embedded default's broker: kombu's filesystem transport, with every message written whole.

kombu writes a message file where workers look for it (open, lock, write); a worker polling the
folder at that moment moves it away and reads it empty, cannot decode it and stops ("Unrecoverable
error: JSONDecodeError"), which a loaded machine hit. Here a message is written to ``staging/``
inside the queue folder and renamed into the folder once complete; a rename within one file
system is atomic, so a worker only ever finds whole messages. Registered as ``bazaar-filesystem://``.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "bazaar-filesystem"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue``: written in ``staging/``, then renamed into the queue folder."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        staging = os.path.join(self.data_folder_out, "staging")
        staged = os.path.join(staging, name)
        try:
            os.makedirs(staging, exist_ok=True)
            with open(staged, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(staged, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = "worker.filesystem:Transport"
