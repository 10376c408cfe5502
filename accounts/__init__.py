"""People and accounts (SPEC §1–2): users and their roles, companies with their license and
plan, named contacts and the contact limit, sign-in throttling.

``models`` (the role rules as ``User`` properties: ``active_contact``, ``can_see_dashboards``,
``is_expert``), ``access`` (tenant checks: ``access_company``, ``manages_account``, …),
``services`` (writes: staff, companies, contacts under the limit, ending sessions),
``selectors``, ``api``, ``views`` (sign-in pages), ``auth`` (throttling hooks, sign-in log).
Imports only the kernel.
"""
