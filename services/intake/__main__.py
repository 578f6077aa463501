from shared.serve import serve

serve("intake")
