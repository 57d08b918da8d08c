"""Chat transcripts Hindsight holds itself (Twilio's Conversations resources), and the
transcript the reporting side reads."""
