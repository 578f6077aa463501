"""The console's pages: thin routes that call the other services' APIs and render a template."""
