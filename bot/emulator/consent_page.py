"""The emulator's HTML pages: OAuth consent and errors, and the page its meeting links open."""

from __future__ import annotations

from html import escape

from bot.emulator.state import SCOPE_DESCRIPTIONS, Client, PendingConsent, User

PRODUCT_NAME = "Webex (emulator)"

_STYLE = """
:root { color-scheme: light; --accent: #07875e; --accent-dark: #056b4a; --ink: #1d2630; --muted: #5b6773;
  --line: #d7dde3; --bg: #f3f5f7; --danger: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); }
.banner { background: #fff4d6; color: #5c4400; text-align: center; font-size: 14px; padding: 8px 12px;
  border-bottom: 1px solid #f0dca0; }
main { max-width: 480px; margin: 32px auto; padding: 0 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 28px 24px;
  box-shadow: 0 1px 3px rgba(0,0,0,.06); }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 600; margin-bottom: 20px; }
.logo { width: 32px; height: 32px; border-radius: 50%;
  background: conic-gradient(#00bceb, #07875e, #ffcc00, #00bceb); }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 8px; }
p { margin: 0 0 16px; color: var(--muted); }
h2 { font-size: 15px; margin: 20px 0 8px; }
ul.scopes { list-style: none; padding: 0; margin: 0 0 8px; }
ul.scopes li { padding: 8px 0 8px 28px; position: relative; border-top: 1px solid var(--line); }
ul.scopes li:first-child { border-top: 0; }
ul.scopes li::before { content: "\\2713"; position: absolute; left: 4px; color: var(--accent);
  font-weight: 700; }
fieldset { border: 0; padding: 0; margin: 0; }
label.user { display: flex; gap: 12px; align-items: center; padding: 12px; border: 1px solid var(--line);
  border-radius: 8px; margin-bottom: 8px; cursor: pointer; }
label.user:has(input:checked) { border-color: var(--accent); background: #eef8f4; }
.who { display: flex; flex-direction: column; min-width: 0; }
.who small { color: var(--muted); overflow-wrap: anywhere; }
.actions { display: flex; gap: 12px; margin-top: 24px; flex-wrap: wrap; }
button { flex: 1 1 140px; font: inherit; font-weight: 600; padding: 12px 16px; border-radius: 8px;
  border: 1px solid var(--line); background: #fff; color: var(--ink); cursor: pointer; }
button.allow { background: var(--accent); border-color: var(--accent); color: #fff; }
button.allow:hover { background: var(--accent-dark); }
button:focus-visible { outline: 3px solid #00bceb; outline-offset: 2px; }
.fine { font-size: 14px; margin-top: 20px; }
.error h1 { color: var(--danger); }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
@media (max-width: 420px) { main { margin: 16px auto; } .card { padding: 20px 16px; } }
"""


def _page(title: str, content: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} · {PRODUCT_NAME}</title><style>{_STYLE}</style></head>"
        '<body><div class="banner" role="note">This is a local Webex emulator for development and tests. '
        "It is not Cisco Webex and no real account is used.</div>"
        f'<main><div class="card">{content}</div></main></body></html>'
    )


def _brand() -> str:
    return (
        f'<div class="brand"><span class="logo" aria-hidden="true"></span><span>{PRODUCT_NAME}</span></div>'
    )


def consent_page(consent: PendingConsent, client: Client, site: str, users: list[User]) -> str:
    """Ask which site user to sign in as and whether to let the app act for them."""
    scopes = "".join(
        f"<li>{escape(SCOPE_DESCRIPTIONS.get(scope, scope))} "
        f"<small>(<code>{escape(scope)}</code>)</small></li>"
        for scope in consent.scopes
    )
    if users:
        choices = "".join(
            f'<label class="user"><input type="radio" name="user" value="{escape(user.webex_id)}"'
            f"{' checked' if index == 0 else ''} required>"
            f'<span class="who"><strong>{escape(user.display_name)}</strong>'
            f"<small>{escape(user.email)}</small></span>"
            "</label>"
            for index, user in enumerate(users)
        )
        people = (
            f"<fieldset><legend><h2>Sign in as</h2></legend>{choices}</fieldset>"
            '<p class="fine">Not listed? You have no account on this site yet: ask its administrator '
            "for one, and press Deny for now.</p>"
        )
        allow = '<button class="allow" type="submit" name="decision" value="allow">Allow</button>'
    else:
        people = f"<p>The site <strong>{escape(site)}</strong> has no users yet, so nobody can sign in.</p>"
        allow = ""
    content = (
        f"{_brand()}<h1><span>{escape(client.name)}</span> wants to use your Webex account</h1>"
        f"<p>on the site <strong>{escape(site)}</strong>. It will be able to:</p>"
        f'<ul class="scopes">{scopes}</ul>'
        '<form method="post" action="/v1/oauth2/authorize">'
        f'<input type="hidden" name="consent_id" value="{escape(consent.consent_id)}">'
        f"{people}"
        f'<div class="actions">{allow}'
        '<button class="deny" type="submit" name="decision" value="deny">Deny</button></div>'
        "</form>"
        f'<p class="fine">After you choose, you go back to <code>{escape(consent.redirect_uri)}</code>.</p>'
    )
    return _page(f"Allow {client.name}", content)


# What to do next, for whoever can act: the developer of a misconfigured app, or the person signing in.
FOR_DEVELOPERS = "Check the client ID and redirect URI the app sent, then try again from the app."
NO_ACCOUNT = (
    "Sign in with an account on this site, or ask the site's administrator for one. Nothing was shared "
    "with the app; go back to it and start again once you have an account."
)


def error_page(title: str, detail: str, next_step: str = FOR_DEVELOPERS) -> str:
    """Shown instead of redirecting: `next_step` says what the reader can do about it."""
    content = (
        f'{_brand()}<div class="error"><h1>{escape(title)}</h1><p>{escape(detail)}</p>'
        f"<p>{escape(next_step)}</p></div>"
    )
    return _page(title, content)


def meeting_page(site: str, topic: str, meeting_key: int, local_start: str, zone: str, role: str) -> str:
    """Where join, host and invitation links lead: the emulator records the visit; no meeting runs.

    `role` is "join" (a join link), "host" (a host link) or "invitation" (an invitation or calendar link).
    """
    number = str(meeting_key)
    if role == "host":
        title = f"You started meeting {number} as its host"
    elif role == "join":
        title = f"You joined meeting {number}"
    else:
        title = f"Invitation to meeting {number}"
    content = (
        f"{_brand()}<h1>{escape(title)}</h1><p><strong>{escape(topic)}</strong>, "
        f"{escape(local_start)} ({escape(zone)}), on the site <strong>{escape(site)}</strong>.</p>"
        "<p>This is the emulator's stand-in for the meeting: on a real Webex site the meeting would open "
        "here. No audio or video runs in the emulator; you can close this page.</p>"
    )
    return _page(title, content)
