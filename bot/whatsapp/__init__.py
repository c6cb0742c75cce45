"""The WhatsApp channel: Meta's WhatsApp Business Cloud API, webhooks in and Graph API out.

One job per module: `settings` (environment), `signature` (the webhook's HMAC),
`envelope` (parsing webhook JSON), `errors` and `graph` (the Graph API client and its
typed errors), `messages` (request bodies by message type), `interactive` (Rasa
buttons as reply buttons or lists), `compose` (a Rasa reply as WhatsApp messages),
`window` (the 24-hour customer-service window), `store` (durable last-inbound times,
outgoing messages and their statuses), `sender` (rate limit, retries, token alarm),
`outbox` (the relay's replies), `notifier` (status updates, with the template
fallback), `media` (files to the backend), `handlers` (each message type to a Rasa
turn), `processor` (deduplication and order), `statuses` (delivery receipts),
`channel` (the assembly) and `routes` (the webhook endpoints).
"""
