"""The notifier: pushes report status updates from the backend to citizens' chats."""
