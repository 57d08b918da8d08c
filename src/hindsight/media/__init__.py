"""Media: decoding, analysis and fetching of recordings and other conversation media."""
