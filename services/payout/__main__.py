from shared.serve import serve

serve("payout")
