"""The Telegram bot: handlers, rendering, history and admin commands over retrieval's service and answerer."""
