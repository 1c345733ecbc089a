"""Member pages at /m/<merchant-slug>/: log in by one-time code, join, and the member home page."""

from __future__ import annotations

import posixpath
import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from loyalty.errors import DomainError
from loyalty.http import client_ip
from merchants.forms import JoinForm, LoginCodeForm, PhoneForm
from merchants.member_codes import member_code, seconds_until_next_code
from merchants.models import MarketingConsentChange, Member, Merchant
from merchants.services import (
    inbox_messages,
    join_member,
    mark_inbox_read,
    open_inbox_message,
    request_login_code,
    unread_inbox_count,
    verify_login_code,
)
from merchants.services.marketing import member_for_opt_out_token, set_marketing_consent

# A verified phone may finish joining within this time.
VERIFIED_PHONE_TTL = 30 * 60
# A visitor who pressed "claim" (or "accept", "help") before logging in has this long to log in and join,
# and the page they left finishes what they asked when they come back.
PENDING_ACTION_TTL = 30 * 60


def _member_key(merchant: Merchant) -> str:
    return f"member:{merchant.pk}"


def _verified_key(merchant: Merchant) -> str:
    return f"verified-phone:{merchant.pk}"


def _pending_key(merchant: Merchant) -> str:
    return f"pending-action:{merchant.pk}"


def current_member(request, merchant: Merchant) -> Member | None:
    member_id = request.session.get(_member_key(merchant))
    if member_id is None:
        return None
    member = Member.objects.filter(pk=member_id, merchant=merchant).first()
    if member is None or not member.is_active:
        request.session.pop(_member_key(merchant), None)
        return None
    return member


def log_member_in(request, member: Member) -> None:
    # A new session id on login, so a session fixed before login is worth nothing after it.
    request.session.cycle_key()
    request.session[_member_key(member.merchant)] = member.pk
    request.session.pop(_verified_key(member.merchant), None)
    Member.objects.filter(pk=member.pk).update(last_seen_at=timezone.now())


def member_page(view):
    """Resolve the merchant from the URL; with `login_required`, also the logged-in member."""

    @wraps(view)
    def wrapper(request, merchant_slug, *args, **kwargs):
        merchant = get_object_or_404(Merchant, slug=merchant_slug, is_active=True)
        request.merchant = merchant
        # Members read times in their shop's zone, as its staff do in the admin and its terminals in the API.
        with timezone.override(merchant.zone):
            return view(request, merchant, *args, **kwargs)

    return wrapper


def member_required(view):
    @member_page
    @wraps(view)
    def wrapper(request, merchant, *args, **kwargs):
        member = current_member(request, merchant)
        if member is None:
            return redirect(login_url(merchant, request.get_full_path()))
        request.member = member
        return view(request, merchant, member, *args, **kwargs)

    return wrapper


def member_path_or_none(merchant: Merchant, target: str) -> str | None:
    """`target` if it is a path of this merchant's member pages (`/m/<slug>/...`, with its query), else None.

    Only a relative path on this site, already normalised (no `..`, no `//`, no backslash), that stays under
    the merchant's prefix: a link can bring a visitor back into the shop it came from, never elsewhere and
    never into another merchant's pages.
    """
    parts = urlsplit(target)
    prefix = reverse("member:home", args=[merchant.slug])
    if parts.scheme or parts.netloc or "\\" in target or not parts.path.startswith(prefix):
        return None
    if posixpath.normpath(parts.path).rstrip("/") != parts.path.rstrip("/") or "//" in parts.path:
        return None
    return target


def _safe_next(request, default: str) -> str:
    """Where to go after login and joining: `next` if it is a safe path of this merchant's member pages."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    merchant = request.merchant
    if (target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
            and member_path_or_none(merchant, target)):
        return target
    return default


def login_url(merchant: Merchant, next_path: str) -> str:
    """The login page, sending the visitor back to `next_path` once logged in (or joined)."""
    return f"{reverse('member:login', args=[merchant.slug])}?{urlencode({'next': next_path})}"


def ask_to_log_in(request, merchant: Merchant) -> HttpResponseRedirect:
    """A visitor pressed a button that needs a member (claim, accept a gift, help a friend): send them through
    login and joining and back here, remembering that they asked, so the page can finish it on return
    (`finish_after_login`). What they asked was a POST with its CSRF token, so no other site can plant it."""
    request.session[_pending_key(merchant)] = {"path": request.path, "at": time.time()}
    return redirect(login_url(merchant, request.path))


def finish_after_login(request, merchant: Merchant) -> bool:
    """True once, when a member comes back to the page whose button they pressed before logging in."""
    pending = request.session.get(_pending_key(merchant))
    if not pending or pending.get("path") != request.path or current_member(request, merchant) is None:
        return False
    request.session.pop(_pending_key(merchant), None)
    return time.time() - pending.get("at", 0) <= PENDING_ACTION_TTL


@never_cache
@member_page
def login(request, merchant):
    home = reverse("member:home", args=[merchant.slug])
    if current_member(request, merchant) is not None:
        return redirect(_safe_next(request, home))
    phone_form, code_form = PhoneForm(), None
    if request.method == "POST" and request.POST.get("step") == "send":
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                login_code = request_login_code(merchant, phone_form.cleaned_data["phone"],
                                                client_ip=client_ip(request))
            except DomainError as error:
                phone_form.add_error("phone", str(error.message))
            else:
                messages.success(request, _("We sent a 6-digit code to %(phone)s.") % {"phone": login_code.phone})
                code_form = LoginCodeForm(initial={"phone": login_code.phone})
    elif request.method == "POST" and request.POST.get("step") == "verify":
        code_form = LoginCodeForm(request.POST)
        if code_form.is_valid():
            try:
                phone = verify_login_code(merchant, code_form.cleaned_data["phone"], code_form.cleaned_data["code"],
                                          client_ip=client_ip(request))
            except DomainError as error:
                code_form.add_error("code" if error.field == "code" else None, str(error.message))
            else:
                member = Member.objects.filter(merchant=merchant, phone=phone).first()
                if member is None:
                    request.session[_verified_key(merchant)] = {"phone": phone, "at": time.time()}
                    return redirect(_join_url(merchant, _safe_next(request, "")))
                if not member.is_active:
                    code_form.add_error(None, _("This membership is frozen. Please contact the store."))
                else:
                    log_member_in(request, member)
                    return redirect(_safe_next(request, home))
    return render(request, "member/login.html", {
        "merchant": merchant, "phone_form": phone_form, "code_form": code_form,
        "next": _safe_next(request, ""),
    })


def _join_url(merchant: Merchant, next_path: str) -> str:
    join_page = reverse("member:join", args=[merchant.slug])
    return f"{join_page}?{urlencode({'next': next_path})}" if next_path else join_page


@never_cache
@member_page
def join(request, merchant):
    """领卡/入会: a visitor whose phone was just verified fills the merchant's form and joins, then goes back to
    the link that brought them (`next`, carried from the login page), or home."""
    verified = request.session.get(_verified_key(merchant))
    back = _safe_next(request, "")
    if not verified or time.time() - verified.get("at", 0) > VERIFIED_PHONE_TTL:
        messages.info(request, _("Verify your mobile number first, then fill in the form to join."))
        return redirect(login_url(merchant, back) if back else reverse("member:login", args=[merchant.slug]))
    details = join_asks_for_details(merchant)
    form = JoinForm(request.POST if request.method == "POST" else None, merchant=merchant, details=details)
    if request.method == "POST" and form.is_valid():
        try:
            member = join_member(merchant, verified["phone"], name=form.cleaned_data.get("name", ""),
                                 gender=form.cleaned_data.get("gender", Member.Gender.UNKNOWN),
                                 birthday=form.cleaned_data.get("birthday"),
                                 custom_fields=form.submitted_attributes(), details_required=details)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            log_member_in(request, member)
            messages.success(request, _("Welcome! You are now a member of %(merchant)s.") % {"merchant": merchant})
            return redirect(back or reverse("member:home", args=[merchant.slug]))
    return render(request, "member/join.html", {"merchant": merchant, "form": form, "phone": verified["phone"],
                                                "details": details, "next": back})


# Callables `(merchant) -> bool` from apps above: does joining this merchant ask for the member's details?
JOIN_DETAIL_POLICIES: list = []


def join_asks_for_details(merchant: Merchant) -> bool:
    return all(policy(merchant) for policy in JOIN_DETAIL_POLICIES)


def _qr_svg(code: str) -> str:
    return segno.make(code, error="m").svg_inline(border=2, dark="#111", light="#fff", omitsize=True)


@never_cache
@member_required
def home(request, merchant, member):
    code = member_code(member)
    return render(request, "member/home.html", {
        "merchant": merchant, "member": member, "code": code, "qr_svg": _qr_svg(code),
        "refresh_in": seconds_until_next_code(), "sections": home_sections(request, member),
    })


HOME_SECTIONS: list = []


def home_sections(request, member) -> list[dict]:
    """Blocks other apps add to the member's home page (cards, coupons, balances).

    Each app registers a callable in HOME_SECTIONS returning `{"title", "value", "url"}` or None.
    """
    return [section for provider in HOME_SECTIONS if (section := provider(request, member))]


@never_cache
@member_required
def code(request, merchant, member):
    """A fresh member code for the page to swap in without reloading."""
    value = member_code(member)
    return JsonResponse({"code": value, "svg": _qr_svg(value), "refresh_in": seconds_until_next_code()})


INBOX_PAGE_SIZE = 20


def inbox_tile(request, member) -> dict:
    """The inbox tile on the member home page: how many messages are unread."""
    return {"title": _("Messages"), "value": unread_inbox_count(member),
            "url": reverse("member:inbox", args=[member.merchant.slug])}


def message_link(merchant: Merchant, link: str) -> str:
    """The message's link as the page may show it: this merchant's member pages, or a web address (an article,
    a partner's page); anything else (javascript:, another merchant's pages) is dropped."""
    if not link:
        return ""
    parts = urlsplit(link)
    if parts.scheme in ("http", "https") and parts.netloc:
        return link
    return member_path_or_none(merchant, link) or ""


@never_cache
@member_required
def inbox(request, merchant, member):
    """站内信: the member's messages, newest first, the unread ones marked."""
    if request.method == "POST" and request.POST.get("action") == "read-all":
        mark_inbox_read(member)
        return redirect("member:inbox", merchant.slug)
    page = Paginator(inbox_messages(member).only("pk", "channel", "title", "body", "created_at", "read_at"),
                     INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "member/inbox.html", {"merchant": merchant, "member": member, "page": page,
                                                 "unread": unread_inbox_count(member)})


@never_cache
@member_required
def inbox_message(request, merchant, member, pk):
    """One message, opened: it counts as read from now on. Another member's message is a 404."""
    message = open_inbox_message(member, pk)
    if message is None:
        raise Http404(_("There is no such message."))
    return render(request, "member/inbox_message.html", {"merchant": merchant, "member": member, "message": message,
                                                         "link": message_link(merchant, message.link)})


@require_POST
@member_page
def logout(request, merchant):
    request.session.pop(_member_key(merchant), None)
    messages.info(request, _("You have logged out."))
    return redirect(reverse("member:login", args=[merchant.slug]))


def landing(request):
    """The site root: where to go, for people who open the bare address. It names no merchant: which shops use
    the platform is theirs to tell, and members arrive by their shop's QR code or link anyway."""
    return render(request, "landing.html")


@never_cache
def marketing_opt_out(request, token: str):
    """The page behind the opt-out link of a marketing SMS: it says whose messages stop, and stops them on a click
    (a GET changes nothing, so a link preview cannot opt anybody out)."""
    member_id = token.partition("-")[0]
    member = Member.objects.filter(pk=int(member_id)).select_related("merchant").first() \
        if member_id.isdigit() else None
    if member is None:
        raise Http404
    merchant = member.merchant
    try:
        member = member_for_opt_out_token(merchant, token)
    except DomainError:
        raise Http404 from None
    done = False
    if request.method == "POST":
        set_marketing_consent(member, accepts=False, how=MarketingConsentChange.How.LINK)
        done = True
    return render(request, "member/opt_out.html", {"merchant": merchant, "member": member, "done": done,
                                                   "opted_out": member.marketing_opt_out_at is not None})


@never_cache
@member_required
def marketing(request, merchant, member):
    """The member's switch for marketing messages (transactional ones, such as login codes, always come)."""
    if request.method == "POST":
        accepts = request.POST.get("accepts") == "1"
        set_marketing_consent(member, accepts=accepts, how=MarketingConsentChange.How.PAGE)
        messages.success(request, _("You will get our offers again.") if accepts
                         else _("You will get no more offers from us."))
        return redirect("member:marketing", merchant.slug)
    return render(request, "member/marketing.html", {"merchant": merchant, "member": member,
                                                     "accepts": member.marketing_opt_out_at is None})
