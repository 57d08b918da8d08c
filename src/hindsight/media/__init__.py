"""Media Hindsight holds itself: the blob store and call recordings."""
