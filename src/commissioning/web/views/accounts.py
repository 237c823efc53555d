"""Pages: signing in and out, your account, and changing your password.

Sign-in is throttled (:mod:`commissioning.web.security`): after too many failures for a username
or from an address, every attempt is refused for 15 minutes with the same words whether or not
the account exists, and even with the right password.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from commissioning.web.forms.govuk import GovukForm
from commissioning.web.roles import Role
from commissioning.web.security import (
    clear_failed_sign_ins,
    client_address,
    record_failed_sign_in,
    sign_in_locked,
)
from commissioning.web.walls import viewer_of

#: Shown for a wrong username or a wrong password alike.
WRONG_DETAILS = "Enter a correct username and password"
#: Shown when sign-in is locked, whether or not the account exists.
LOCKED = "Too many attempts: wait 15 minutes before you try to sign in again"


class SignInForm(GovukForm, forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter your username"},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ChangePasswordForm(GovukForm, PasswordChangeForm):
    """Django's password change (with its validators), with plain-text GOV.UK hints."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = " ".join(password_validators_help_texts())
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = client_address(request)
        if sign_in_locked(username, address):
            form.add_error(None, LOCKED)
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                record_failed_sign_in(username, address)
                form.add_error(None, WRONG_DETAILS)
            else:
                clear_failed_sign_ins(username)
                login(request, user)
                return HttpResponseRedirect(_next_url(request))
    status = 200 if not form.errors else 400 if request.method == "POST" else 200
    return render(
        request,
        "web/accounts/sign_in.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request.user)
    return render(
        request,
        "web/accounts/account.html",
        {"member": viewer, "role": Role(viewer.role).label},
    )


@sensitive_post_parameters()
@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password has been changed")
        return redirect("account")
    return render(
        request,
        "web/accounts/change_password.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("sign-in/", sign_in, name="login"),
    # Django's LogoutView accepts POST only (a link cannot sign someone out).
    path("sign-out/", LogoutView.as_view(), name="logout"),
    path("account/", account, name="account"),
    path("account/password/", change_password, name="password-change"),
]
