"""Monthly service reviews (SPEC §15): one account's month in figures, as JSON, a CSV of its
tickets and a printable PDF, the reports page of contacts, and the e-mail on the 1st.

``selectors`` computes the month with ``tickets.metrics`` (the dashboard's own functions) in the
company's time zone; ``csvexport`` streams the tickets; ``charts`` and ``pdf`` draw and print the
review; ``services`` holds the writes (a contact's opt-in, the monthly e-mails, claimed exactly
once); ``api``, ``views`` and ``tasks`` are thin.
"""
