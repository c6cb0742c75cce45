"""The admin web console: pages, and the data they show (conversation logs, dashboard)."""
