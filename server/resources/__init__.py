"""HTTP resources, one router per noun. Each endpoint parses, calls one domain function,
and renders the result; authorisation and all rules live in `server.domain`."""
