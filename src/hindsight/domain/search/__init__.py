"""Pure rules of conversation search: reading what people type, phone numbers, snippets."""
