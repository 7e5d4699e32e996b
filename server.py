"""The ASGI entry point: Streamlit's app plus the sign-in routes, started by `streamlit run server.py`."""

import gc
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from auth.routes import ROUTES
from light.routes import ROUTES as LIGHT_ROUTES
from light.shell import ROUTES as SHELL_ROUTES
from reports.routes import ROUTES as DOWNLOAD_ROUTES
from auth.security_headers import SecurityHeadersMiddleware
from services.startup import start_app
from transport.compression import CompressionMiddleware


@asynccontextmanager
async def lifespan(_app):
    start_app()
    # Streamlit runs a pages/ file directly, without the router, until some
    # session has called st.navigation (v1 multipage mode, STREAMLIT_NOTES.md);
    # residents opening /fill after a restart kept it in that mode, paying a
    # pages/ scan per run. Start in router mode.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    # Everything loaded so far (Streamlit, DuckDB, pandas, the app's modules)
    # lives as long as the process: move it out of the collector's reach so a
    # full collection, triggered by the garbage of script runs, scans only
    # session objects (bench/load_fill.py).
    gc.collect()
    gc.freeze()
    yield


# The light fill path (/lite), the browser check in front of /fill (light/shell.py) and the signed-in downloads.
app = st.App("app.py", routes=[*ROUTES, *LIGHT_ROUTES, *SHELL_ROUTES, *DOWNLOAD_ROUTES], lifespan=lifespan,
             middleware=[Middleware(SecurityHeadersMiddleware), Middleware(CompressionMiddleware)])
