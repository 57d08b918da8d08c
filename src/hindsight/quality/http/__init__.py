"""Quality management over HTTP: Twilio's Insights Quality Management API, and Hindsight's own
JSON API behind the conversation screen and the questionnaire editor."""
