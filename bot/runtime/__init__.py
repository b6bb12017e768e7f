"""The runtime: the application factory (the composition root), durable intake, HTTP transport,
webhook, health."""
