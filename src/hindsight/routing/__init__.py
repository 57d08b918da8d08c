"""TaskRouter use cases: one service per resource, one method per thing a client does."""
