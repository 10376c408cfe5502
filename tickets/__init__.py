"""Tickets (SPEC §3–5, §7): the core and one package per feature.

The core: ``models`` (tickets, comments, attachments, timeline events, notifications, the
outbox, signature requests, inbound mail records), ``services`` (filing, changes, comments,
attachments), ``access`` (the tenant checks every read goes through), ``outbox`` (notifications
and e-mails written in the caller's transaction), ``forms``, ``presentation`` (durations, the
timeline), ``views`` and ``api`` (the ticket pages and endpoints), ``admin``.

Feature packages import the core and ``accounts``, never each other: ``queue`` (SPEC §5),
``signatures`` (§7), ``tam`` (§6), ``notifications`` (e-mail in and out, the bell).
"""
