from shared.serve import serve

serve("eligibility")
