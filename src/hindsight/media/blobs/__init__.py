"""Where media bytes are kept: the local and S3 blob stores, encryption at rest over either,
and the upkeep commands (encrypt, rotate keys, migrate, orphans). The interface is
`hindsight.media.storage.BlobStore`."""
