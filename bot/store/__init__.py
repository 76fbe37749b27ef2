"""Persistence: the database, its migrations, encrypted Webex links, OAuth states and idempotency records."""

from bot.store.crypto import InvalidTokenKey, TokenCipher, UndecryptableToken, parse_token_keys
from bot.store.database import (
    Database,
    UnsupportedDatabase,
    async_url,
    upgrade,
    upgrade_sync,
)
from bot.store.installations import InstallationStore, InstallStateStore
from bot.store.links import LinkStore, NewTokens, RefreshBusy, RefreshTurn
from bot.store.operations import Operation, OperationStore
from bot.store.rotation import reencrypt_tokens
from bot.store.states import (
    ConnectAttempt,
    OAuthStateStore,
    StateAlreadyUsed,
    StateExpired,
    StateForAnotherUser,
    StateRejected,
    StateUnknown,
)

__all__ = [
    "ConnectAttempt",
    "Database",
    "DatabaseUnavailable",
    "InstallStateStore",
    "InstallationStore",
    "InvalidTokenKey",
    "LinkStore",
    "NewTokens",
    "OAuthStateStore",
    "Operation",
    "OperationStore",
    "RefreshBusy",
    "RefreshTurn",
    "StateAlreadyUsed",
    "StateExpired",
    "StateForAnotherUser",
    "StateRejected",
    "StateUnknown",
    "TokenCipher",
    "UndecryptableToken",
    "UnsupportedDatabase",
    "async_url",
    "parse_token_keys",
    "reencrypt_tokens",
    "upgrade",
    "upgrade_sync",
]
