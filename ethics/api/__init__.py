"""REST endpoints of this app under /api/v1/ (see core/api.py)."""
