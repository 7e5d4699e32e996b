"""Accounts and access: password hashing, sign-in with lockout, session cookies, the signed-in principal."""
