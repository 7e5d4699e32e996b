"""The ASGI entry point: Streamlit's app plus the sign-in routes, started by `streamlit run server.py`."""

from contextlib import asynccontextmanager

import streamlit as st

from auth.routes import ROUTES
from services.startup import start_app


@asynccontextmanager
async def lifespan(_app):
    start_app()
    yield


app = st.App("app.py", routes=ROUTES, lifespan=lifespan)
