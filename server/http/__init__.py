"""HTTP plumbing shared by the resources: who is calling, error rendering, URLs, limits."""
