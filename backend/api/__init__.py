"""HTTP routers of the backend."""
