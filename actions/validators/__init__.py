"""Pure validators for the assistant's form answers (dates, locations, free text)."""
