"""Speech output: sentences spoken as the model writes them (see base.SpeechOutput)."""
