"""Putting one message on one channel: Apprise for the services it knows, a JSON POST for webhooks.

Secrets are expanded here, at the last moment, and every failure reason that leaves this module
has had their values scrubbed out (libraries and servers may echo a URL back).
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from generator import __version__
from generator.notify.channels import Channel, MissingVariables, expand, scrub

TIMEOUT = 15  # seconds per request: a hung service must not hold up the other channels


class DeliveryError(Exception):
    """Why a message did not reach its channel; the text is safe to print (no secret in it)."""


def deliver(
    channel: Channel, title: str, body: str, payload: dict[str, Any], environ: Mapping[str, str]
) -> None:
    """Send it or raise DeliveryError."""
    try:
        url, secrets = expand(channel.url, environ)
    except MissingVariables as missing:
        names = " and ".join(f"${{{name}}}" for name in missing.names)
        verb = "is" if len(missing.names) == 1 else "are"
        raise DeliveryError(f"{names} {verb} not set in the environment") from None
    try:
        if channel.kind == "webhook":
            _post(url, payload)
        else:
            _apprise(url, title, body)
    except DeliveryError as error:
        raise DeliveryError(scrub(str(error), secrets)) from None
    except Exception as error:  # noqa: BLE001 (any library failure is this channel's, never the run's)
        reason = scrub(f"{type(error).__name__}: {error}", secrets)
        raise DeliveryError(f"could not deliver it: {reason}") from None


def _post(url: str, payload: dict[str, Any]) -> None:
    if not url.lower().startswith(("http://", "https://")):
        raise DeliveryError("the webhook's URL (from its variable) is not an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": f"statusgen/{__version__}"},
        method="POST",
    )
    try:
        with _NO_REDIRECTS.open(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        moved = " (a redirect: give the webhook's final URL)" if 300 <= error.code < 400 else ""
        raise DeliveryError(f"the webhook answered HTTP {error.code}{moved}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        raise DeliveryError(f"could not reach the webhook: {type(error).__name__}: {reason}") from None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be re-sent as a GET without its body (and its URL, token and
    all, to wherever the server says): a redirect is a failure, shown as such."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


def _apprise(url: str, title: str, body: str) -> None:
    import apprise  # imported only to send: check and build never need it

    logging.getLogger("apprise").propagate = False  # its log lines may hold URLs: never printed
    asset = apprise.AppriseAsset(app_id="statusgen", app_desc="statusgen status page")
    sender = apprise.Apprise(asset=asset)
    if not sender.add(url):
        raise DeliveryError(
            "Apprise does not recognise this URL (see its list of services and their URL forms)"
        )
    result = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    if not result:
        reasons = [
            entry.message
            for service in result
            for attempt in service
            for entry in attempt
            if entry.level in ("WARNING", "ERROR")
        ]
        raise DeliveryError(f"Apprise could not deliver it: {reasons[-1] if reasons else 'no reason given'}")
