"""Personal data: which columns hold persons, scrubbing free text, the name register."""
