"""Supervisor pages: server-rendered HTML under /web (Russian and English), signed in with a password."""
