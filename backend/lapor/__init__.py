"""The SP4N-LAPOR! v3 bridge: client, code mapping, forwarding (see docs/lapor_bridge.md)."""
