"""What the separately deployed processes (backend, actions, gateway) share: nothing
but small, dependency-light helpers. No process imports another's package."""
