"""Ticket models, split by domain: ``core`` (tickets, comments, attachments, timeline), ``mail``
(the bell, the e-mail outbox, inbound e-mail), ``signatures`` (antivirus-signature change
requests), ``reports`` (monthly service reviews sent), ``search`` (the full-text index of
tickets), ``cadence`` (the update cadence's record), ``incidents`` (major incidents) and
``oncall`` (the on-call rota and the pages sent)."""

from tickets.models.cadence import *  # noqa: F403
from tickets.models.core import *  # noqa: F403
from tickets.models.core import (  # noqa: F401  (names used by migrations and tests)
    _OPEN,
    NUMBER_PREFIX,
    attachment_path,
    format_number,
    parse_number,
    private_storage,
)
from tickets.models.incidents import *  # noqa: F403
from tickets.models.mail import *  # noqa: F403
from tickets.models.oncall import *  # noqa: F403
from tickets.models.oncall import WEBHOOK_PENDING  # noqa: F401
from tickets.models.reports import *  # noqa: F403
from tickets.models.search import *  # noqa: F403
from tickets.models.signatures import *  # noqa: F403
