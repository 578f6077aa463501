from shared.serve import serve

serve("quota")
