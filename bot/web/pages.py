"""The few HTML pages a person sees in their browser: short, escaped, readable on a phone."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_STYLE = """
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       background: #f4f5f7; color: #1d1c1d; display: flex; min-height: 100vh;
       align-items: center; justify-content: center; padding: 24px; }
main { background: #fff; max-width: 520px; width: 100%; border-radius: 14px; padding: 32px 28px;
       box-shadow: 0 2px 12px rgba(0,0,0,.08); }
.brand { font-weight: 700; letter-spacing: .02em; color: #0b6cff; font-size: 15px; margin-bottom: 20px; }
.icon { line-height: 0; margin-bottom: 14px; }
h1 { font-size: 24px; line-height: 1.25; margin: 0 0 12px; }
p { margin: 0 0 12px; }
.next { background: #eef4ff; border-radius: 10px; padding: 14px 16px; margin-top: 20px; }
.warning { background: #fff4e5; border-radius: 10px; padding: 14px 16px; margin-top: 16px; }
footer { margin-top: 24px; font-size: 13px; color: #616061; }
@media (prefers-color-scheme: dark) {
  body { background: #1a1d21; color: #e8e8e8; } main { background: #222529; box-shadow: none; }
  .next { background: #1c2b45; } .warning { background: #3d2e14; } footer { color: #9a9a9a; }
}
"""


# Drawn inline so the page needs no emoji font and no outside request.
_OK_ICON = (
    '<svg width="44" height="44" viewBox="0 0 44 44"><circle cx="22" cy="22" r="22" fill="#1a9e5c"/>'
    '<path d="M13 23l6 6 12-13" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round" '
    'stroke-linejoin="round"/></svg>'
)
_PROBLEM_ICON = (
    '<svg width="44" height="44" viewBox="0 0 44 44"><circle cx="22" cy="22" r="22" fill="#d97706"/>'
    '<path d="M22 11v14" stroke="#fff" stroke-width="4" stroke-linecap="round"/>'
    '<circle cx="22" cy="32" r="2.6" fill="#fff"/></svg>'
)


def page(
    title: str,
    detail: str,
    *,
    next_step: str,
    ok: bool,
    warning: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A complete page saying what happened and what to do next; every value is escaped."""
    icon = _OK_ICON if ok else _PROBLEM_ICON
    warning_html = (
        f'<div class="warning"><strong>Check this:</strong> {escape(warning)}</div>' if warning else ""
    )
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} · webex-bot</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<div class="brand">webex-bot</div>
<div class="icon" aria-hidden="true">{icon}</div>
<h1>{escape(title)}</h1>
<p>{escape(detail)}</p>
{warning_html}
<div class="next"><strong>Next:</strong> {escape(next_step)}</div>
<footer>webex-bot links your Slack account to your Webex meetings. You can close this tab.</footer>
</main>
</body>
</html>
"""
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
