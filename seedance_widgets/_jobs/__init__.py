"""Jobs: a generation's life (following, controller, blocking facade)."""
