"""Streamlit glue shared by pages: session-state keys, the signed-in user, language, cached resources."""
