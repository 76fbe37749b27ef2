"""Alembic migrations of the bot's tables (run through bot.store.database.upgrade)."""
