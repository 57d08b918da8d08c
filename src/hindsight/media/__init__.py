"""Media: the broker that opens every media item, media Hindsight holds itself (the blob store
and call recordings), the SSRF-safe fetcher for media elsewhere, and recording analysis."""
