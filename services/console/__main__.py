from shared.serve import serve

serve("console")
