"""Wire formats: OpenRosa XML documents and the JSON shapes of Central's REST API."""
