"""Custom Rasa NLU components of the assistant (the training data lives in `nlu/`)."""
