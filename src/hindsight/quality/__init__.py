"""Quality management: questionnaires, and the assessments and comments made with them.

`catalogue` holds categories, questions, questionnaires and answer sets (the Create/Edit
Questionnaires right); `assessments` holds assessments and comments on segments (the Assess
right); `sessions` issues the tokens Twilio's `POST /v1/Insights/Session` hands out.
"""
