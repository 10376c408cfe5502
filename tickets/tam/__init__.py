"""What a Technical Account Manager works with (SPEC §6): account dashboards and the portfolio
(``dashboards``), proactive notes (``notes``), their API and pages, and the customer-facing
card of shared notes (``templatetags``)."""
