"""REST endpoints of this app under /api/v1/ (see config/api.py)."""
