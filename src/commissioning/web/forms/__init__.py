"""Django forms for the workspace's pages, one module per part."""
