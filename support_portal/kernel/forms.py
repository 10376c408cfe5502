"""Form helpers shared by every page: a service's ``ValidationError`` shown on the form."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: ValidationError,
                       rename: dict[str, str] | None = None) -> None:
    """Show a service's ``ValidationError`` on ``form``: a message about a field the form has
    goes next to that field (``rename`` maps service names to form names), anything else on
    top of the form."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        field = rename.get(name, name)
        form.add_error(field if field in form.fields else None, messages)
