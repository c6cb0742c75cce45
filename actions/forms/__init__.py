"""Form validation actions."""
