"""The engineers' priority queue (SPEC §5): its order and filters (``selectors``), the API
(``api``), the page with its time-left texts (``views``, ``presentation``)."""
