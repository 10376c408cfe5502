"""Antivirus-signature change requests (SPEC §7): filing with the sample and the latest-database
rule, the expert steps and the expedited release (``services``), who may see a request
(``access``), the API, and the pages with the progress tracker."""
