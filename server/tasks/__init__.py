"""Work shared by the command line and the server: setting up, publishing instruments."""
