"""The workspace's pages."""
