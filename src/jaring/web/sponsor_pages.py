"""Pages of the web app (see web/render.py for what every page shares)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
