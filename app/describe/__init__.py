"""A description from request to speech: routing (controller), the engine on its thread, showing and speaking."""
