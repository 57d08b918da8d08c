"""Media: the broker that opens every media item, and where media comes from."""
