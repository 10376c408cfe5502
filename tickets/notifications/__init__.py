"""Notifications: e-mail out (``delivery``: the outbox sent as threaded, per-language mail),
e-mail in (``inbound``: the support mailbox turned into tickets and comments, or refused) and
the in-portal bell (``views``). The rows themselves are written by ``tickets.outbox``."""
