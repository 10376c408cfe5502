"""Django admin for accounts. Changes that carry rules (the contact limit, deactivation) go
through the services, so the admin cannot bypass them."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import audit, services
from accounts.models import STAFF_ROLES, Company, Contact, Plan, Role, User
from support_portal.kernel.errors import ConflictError


class UserRoleChangeForm(UserChangeForm):
    """A role changes only between staff roles: a contact belongs to a company (its contact
    record carries the limit and the tenant), so no one becomes or stops being a contact
    here."""

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        was = self.instance.role
        if role != was and (role not in STAFF_ROLES or was not in STAFF_ROLES):
            raise ValidationError(_("Only a staff member's role can change, to engineer, tam, "
                                    "expert or admin."))
        return role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Role changes go through ``accounts.services.user_change_role`` and new staff are
    recorded, so both land in the audit log (SPEC §14) as they do through the API."""

    form = UserRoleChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "role")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                  "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("email", "full_name", "role", "password1", "password2")}),
    )

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        new_role = obj.role
        role_changed = change and "role" in form.changed_data
        if role_changed:
            obj.role = form.initial["role"]  # the service moves it, with the audit entry
        super().save_model(request, obj, form, change)
        if role_changed:
            services.user_change_role(user=obj, role=new_role, actor=actor, request=request)
        elif not change and obj.role != Role.CONTACT:
            audit.record(action=audit.Action.STAFF_CREATED, actor=actor, object=obj,
                         request=request, detail={"role": obj.role})


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "contact_limit", "priority_tier", "required_license"]


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("user", "phone", "is_active", "created_at", "deactivated_at")
    readonly_fields = ("user", "phone", "is_active", "created_at", "deactivated_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "license", "plan", "tam", "license_valid_until"]
    list_filter = ["plan", "license"]
    search_fields = ["name"]
    list_select_related = ["plan", "tam"]
    inlines = [ContactInline]


class ContactAddForm(forms.ModelForm):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    class Meta:
        model = Contact
        fields = ["company", "phone"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("company") and cleaned.get("email"):
            services.contact_precheck(company=cleaned["company"], email=cleaned["email"])
        if cleaned.get("password"):
            try:
                validate_password(cleaned["password"])
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "phone", "is_active", "deactivated_at"]
    list_filter = ["is_active", "company"]
    search_fields = ["user__email", "user__full_name", "company__name"]
    list_select_related = ["user", "company"]
    readonly_fields = ["user", "company", "is_active", "created_at", "deactivated_at"]
    fields = ["user", "company", "phone", "is_active", "created_at", "deactivated_at"]
    actions = ["deactivate", "reactivate"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ContactAddForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["company", "email", "full_name", "phone", "password"]
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        if change:
            services.contact_update(contact=obj, phone=obj.phone)
            return
        created = services.contact_create(
            company=form.cleaned_data["company"], email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"],
            phone=form.cleaned_data.get("phone", ""),
        )
        obj.pk = created.pk
        obj.user = created.user

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Contact], active: bool) -> None:
        for contact in queryset:
            try:
                services.contact_update(contact=contact, is_active=active)
            except ConflictError as exc:
                self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description=_("Deactivate selected contacts (ends their sessions)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description=_("Reactivate selected contacts"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        self._set_active(request, queryset, True)
