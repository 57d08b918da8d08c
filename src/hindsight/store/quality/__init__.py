"""Quality management's tables: the questionnaire catalogue, assessments and comments."""
