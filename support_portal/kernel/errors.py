"""Domain errors raised by services; the API and pages map them to HTTP answers."""


class ConflictError(Exception):
    """The request is valid but conflicts with the current state (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
