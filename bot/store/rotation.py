"""Key rotation: every stored secret re-encrypted under the newest key (`webex-bot db reencrypt`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import URL

from bot.domain.clock import SystemClock
from bot.store.crypto import TokenCipher
from bot.store.database import Database
from bot.store.installations import InstallationStore
from bot.store.links import LinkStore
from bot.store.states import OAuthStateStore


async def reencrypt_tokens(url: str | URL, keys: Sequence[str]) -> int:
    """Re-encrypt every stored token (Webex and Slack bot), PKCE verifier and pending command with the first
    key; how many rows."""
    cipher = TokenCipher(keys)
    db = Database(url)
    try:
        clock = SystemClock()
        changed = await LinkStore(db, cipher, clock).reencrypt_all()
        changed += await OAuthStateStore(db, cipher, clock).reencrypt_all()
        changed += await InstallationStore(db, cipher, clock).reencrypt_all()
    finally:
        await db.dispose()
    return changed
