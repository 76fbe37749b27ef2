"""The browser pages escape everything they show and say what to do next."""

from __future__ import annotations

from bot.web.pages import page


def test_everything_shown_is_escaped() -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = page(hostile, hostile, next_step=hostile, ok=False, warning=hostile, status_code=400)
    body = bytes(response.body).decode()
    assert "<script>" not in body and "<img" not in body
    assert "&lt;script&gt;" in body
    assert response.status_code == 400


def test_page_is_readable_on_a_phone_and_not_cached() -> None:
    response = page("Linked", "All good.", next_step="Go back to Slack.", ok=True)
    body = bytes(response.body).decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "webex-bot" in body and "Go back to Slack." in body
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
