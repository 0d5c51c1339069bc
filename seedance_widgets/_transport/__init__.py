"""Transport: talking to the service (client, event stream, downloads, retries)."""
