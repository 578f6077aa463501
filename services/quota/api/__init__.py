"""The officials' API (rounds, panels, reviews, ranking, notices, objections) and the public notice."""
