"""Media: the broker that opens every media item, and media Hindsight holds itself (the blob
store and call recordings)."""
