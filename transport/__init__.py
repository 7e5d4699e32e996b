"""HTTP transport around the app: compression, caching and the Streamlit HTML shell."""
