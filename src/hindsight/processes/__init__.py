"""How `hindsight serve` uses the machine: HTTP worker processes, a background process that
follows the event log, the supervisor that runs them, and the wake-ups and lease between them."""
