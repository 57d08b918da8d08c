"""`hindsight demo`: a realistic week of contact-centre traffic, fed through Hindsight's APIs."""
